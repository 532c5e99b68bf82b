// Command erp-service serves the ERP API (gRPC and REST): customers, items,
// warehouses and stock, sales orders and the event feed.
//
//	erp-service [serve]   apply pending migrations, then serve
//	erp-service migrate   apply pending migrations and exit
package main

import (
	"github.com/seamhq/seam/erp-service/internal/app"
	"github.com/seamhq/seam/platform/boot"
)

func main() { boot.Main(app.Name, app.Run) }
