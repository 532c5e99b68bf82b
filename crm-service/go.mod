module github.com/seamhq/seam/crm-service

go 1.26

replace (
	github.com/seamhq/seam/platform => ../platform
	github.com/seamhq/seam/proto => ../proto
)
