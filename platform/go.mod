module github.com/seamhq/seam/platform

go 1.26

replace github.com/seamhq/seam/proto => ../proto
