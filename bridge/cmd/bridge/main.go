// Command bridge joins the CRM and the ERP: it follows both event feeds and
// turns won deals into sales orders and ERP facts into CRM read-only fields.
package main

import (
	"github.com/seamhq/seam/bridge/internal/app"
	"github.com/seamhq/seam/platform/boot"
)

func main() { boot.Main("bridge", app.Run) }
