# Seam: CRM + ERP + bridge. `make help` lists the targets.
SHELL := /bin/bash
MODULES := proto platform crm-service erp-service bridge e2e deploy
BIN := $(CURDIR)/bin
PKGS := github.com/seamhq/seam/...
ROLE ?= admin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/seamhq/seam/platform/buildinfo.Version=$(VERSION) -X github.com/seamhq/seam/platform/buildinfo.Commit=$(COMMIT)

include deploy/images.mk

.PHONY: help
help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: run
run: postgres ## run the whole stack with demo data (Ctrl-C stops it)
	@go build -o $(BIN)/seamctl ./e2e/cmd/seamctl
	@$(BIN)/seamctl run

.PHONY: token
token: ## print a bearer token for the local stack (ROLE=sales etc.)
	@go build -o $(BIN)/seamctl ./e2e/cmd/seamctl && $(BIN)/seamctl token -role $(ROLE)

.PHONY: build
build: ## build the three service binaries into bin/
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./crm-service/cmd/crm-service ./erp-service/cmd/erp-service ./bridge/cmd/bridge

.PHONY: test
test: postgres chromium fmt-check vet ## run every test (unit, integration, end-to-end, browser)
	go test -race -count=1 -timeout 20m $(PKGS)

.PHONY: bench
bench: postgres ## run the benchmarks recorded in BENCHMARKS.md
	go test -run '^$$' -bench . -benchtime 1x -timeout 60m ./e2e/...

.PHONY: vet
vet: ## go vet every module
	go vet $(PKGS)

.PHONY: fmt-check
fmt-check: ## fail when a file is not gofmt-formatted
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

.PHONY: lint
lint: ## golangci-lint every module (pinned in tools/lint)
	cd tools/lint && GOWORK=off go build -o $(BIN)/golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint
	for m in $(MODULES); do (cd $$m && $(BIN)/golangci-lint run --allow-parallel-runners ./...) || exit 1; done

.PHONY: tidy
tidy: ## go mod tidy every module
	for m in $(MODULES); do (cd $$m && go mod tidy) || exit 1; done

.PHONY: postgres
postgres: ## install PostgreSQL server binaries when missing
	@./deploy/local/ensure-postgres.sh

.PHONY: chromium
chromium: ## install Debian's Chromium for the browser tests when missing
	@./deploy/local/ensure-chromium.sh

.PHONY: tools
tools: ## build the pinned code generators into bin/
	@cd tools && GOWORK=off go build -o $(BIN)/ \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2 \
		./openapidoc

.PHONY: generate
generate: tools ## regenerate Go code and OpenAPI documents from proto/
	cd proto && $(BIN)/buf lint
	cd proto && find . -name '*.pb.go' -o -name '*.pb.gw.go' -o -name '*.swagger.json' -o -name '*.openapi3.json' | xargs -r rm
	# google/api is googleapis' field_behavior.proto, whose Go package is
	# google.golang.org/genproto/googleapis/api/annotations: not generated.
	cd proto && $(BIN)/buf generate --template buf.gen.yaml --exclude-path google
	cd proto && for p in crm erp bridge; do $(BIN)/buf generate --template buf.gen.$$p.yaml --path $$p/v1; done
	# PATCH bodies without the create's required fields, and OpenAPI 3.0
	# conversions beside the Swagger 2.0 documents (tools/openapidoc).
	$(BIN)/openapidoc proto/openapi crm erp bridge

.PHONY: check-generated
check-generated: generate ## fail when generated code differs from proto/
	@git diff --exit-code --stat -- proto || (echo "generated code is stale: run make generate and commit"; exit 1)
	@test -z "$$(git status --porcelain -- proto)" || (git status --porcelain -- proto; echo "untracked generated files: run make generate and commit"; exit 1)

.PHONY: clean
clean: ## remove built binaries (keeps .data/)
	rm -rf $(BIN)
