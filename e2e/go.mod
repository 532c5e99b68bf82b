module github.com/seamhq/seam/e2e

go 1.26

replace (
	github.com/seamhq/seam/platform => ../platform
	github.com/seamhq/seam/proto => ../proto
)
