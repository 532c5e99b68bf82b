// Command crm-service serves the CRM API (gRPC and REST). `crm-service
// migrate` applies the database migrations and exits; `crm-service` or
// `crm-service serve` applies them and serves.
package main

import (
	"github.com/seamhq/seam/crm-service/internal/app"
	"github.com/seamhq/seam/platform/boot"
)

func main() { boot.Main(app.Name, app.Run) }
