# Seam: CRM + ERP + bridge. `make help` lists the targets.
SHELL := /bin/bash
MODULES := proto platform crm-service erp-service bridge e2e
BIN := $(CURDIR)/bin
TOOLS := buf protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2

.PHONY: help
help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## build the pinned code generators into bin/
	@cd tools && GOWORK=off go build -o $(BIN)/ \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2

.PHONY: generate
generate: tools ## regenerate Go code and OpenAPI documents from proto/
	cd proto && $(BIN)/buf lint
	cd proto && find . -name '*.pb.go' -o -name '*.pb.gw.go' -o -name '*.swagger.json' | xargs -r rm
	cd proto && $(BIN)/buf generate --template buf.gen.yaml
	cd proto && for p in crm erp bridge; do $(BIN)/buf generate --template buf.gen.$$p.yaml --path $$p/v1; done
