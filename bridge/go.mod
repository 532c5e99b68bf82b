module github.com/seamhq/seam/bridge

go 1.26

replace (
	github.com/seamhq/seam/platform => ../platform
	github.com/seamhq/seam/proto => ../proto
)
