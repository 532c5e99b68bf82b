// Command crm-service serves the CRM API (gRPC and REST). `crm-service
// migrate` applies the database migrations and exits; `crm-service` or
// `crm-service serve` applies them and serves.
package main

import (
	// The pipeline report's time_zone names IANA zones; the binary
	// carries their data for hosts and images without a zoneinfo
	// directory.
	_ "time/tzdata"

	"github.com/seamhq/seam/crm-service/internal/app"
	"github.com/seamhq/seam/platform/boot"
)

func main() { boot.Main(app.Name, app.Run) }
