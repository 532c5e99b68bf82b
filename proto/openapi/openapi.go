// Package openapi holds the generated OpenAPI documents of the public APIs:
// Swagger 2.0 as protoc-gen-openapiv2 writes it (NAME.swagger.json, with
// the required fields of a create left out of PATCH bodies), and its
// OpenAPI 3.0 conversion (NAME.openapi3.json), both made by make generate
// (tools/openapidoc).
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

// CRM3 is the OpenAPI 3.0 document of crm.v1.
//
//go:embed crm.openapi3.json
var CRM3 []byte

// ERP3 is the OpenAPI 3.0 document of erp.v1.
//
//go:embed erp.openapi3.json
var ERP3 []byte

// Bridge3 is the OpenAPI 3.0 document of bridge.v1.
//
//go:embed bridge.openapi3.json
var Bridge3 []byte
