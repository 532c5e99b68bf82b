// Package openapi holds the generated OpenAPI documents of the public APIs.
package openapi

import _ "embed"

// CRM is the OpenAPI (Swagger 2.0) document of crm.v1.
//
//go:embed crm.swagger.json
var CRM []byte

// ERP is the OpenAPI (Swagger 2.0) document of erp.v1.
//
//go:embed erp.swagger.json
var ERP []byte

// Bridge is the OpenAPI (Swagger 2.0) document of bridge.v1.
//
//go:embed bridge.swagger.json
var Bridge []byte
