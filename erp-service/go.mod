module github.com/seamhq/seam/erp-service

go 1.26

replace (
	github.com/seamhq/seam/platform => ../platform
	github.com/seamhq/seam/proto => ../proto
)
