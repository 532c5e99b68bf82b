# Container images of the three services, built from deploy/docker/*.Dockerfile
# with the repository root as the build context.
#
# The top-level Makefile includes this file; it also works on its own:
#
#   make -f deploy/images.mk images VERSION=v0.1.0
#   make -f deploy/images.mk images-push VERSION=v0.1.0
#
# The engine is docker or podman, whichever runs (CONTAINER_ENGINE=podman picks
# one and fails if it does not run). Where none runs, `images` says so and
# succeeds without building.

IMAGES_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
IMAGES_ROOT := $(abspath $(IMAGES_DIR)/..)
IMAGE_SERVICES := crm-service erp-service bridge
IMAGE_REGISTRY ?= ghcr.io/seamhq
VERSION ?= $(shell git -C $(IMAGES_ROOT) describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git -C $(IMAGES_ROOT) rev-parse HEAD 2>/dev/null || echo unknown)
# Images are tagged with the version; never with "latest".
IMAGE_TAG ?= $(VERSION)
CONTAINER_ENGINE ?=

# Prints the engine to use, or nothing when none runs here.
define find_container_engine
engine="$(CONTAINER_ENGINE)"; \
if [ -z "$$engine" ]; then \
	for e in docker podman; do \
		if command -v $$e >/dev/null 2>&1 && $$e info >/dev/null 2>&1; then engine=$$e; break; fi; \
	done; \
elif ! command -v "$$engine" >/dev/null 2>&1 || ! "$$engine" info >/dev/null 2>&1; then \
	echo "images: CONTAINER_ENGINE=$$engine does not run here" >&2; exit 1; \
fi
endef

.PHONY: images
images: ## build the service images (docker or podman; skipped where none runs)
	@$(find_container_engine); \
	if [ -z "$$engine" ]; then \
		echo "images: no container engine (docker or podman) runs here; skipping the image build"; \
		exit 0; \
	fi; \
	if [ "$(IMAGE_TAG)" = latest ]; then echo "images: refusing the tag latest; set VERSION or IMAGE_TAG" >&2; exit 1; fi; \
	for s in $(IMAGE_SERVICES); do \
		ignore=""; \
		if [ "$$engine" = podman ]; then ignore="--ignorefile $(IMAGES_DIR)/docker/$$s.Dockerfile.dockerignore"; fi; \
		echo "images: $$engine build $(IMAGE_REGISTRY)/$$s:$(IMAGE_TAG)"; \
		$$engine build $$ignore \
			-f $(IMAGES_DIR)/docker/$$s.Dockerfile \
			--build-arg VERSION=$(VERSION) \
			--build-arg COMMIT=$(COMMIT) \
			-t $(IMAGE_REGISTRY)/$$s:$(IMAGE_TAG) \
			$(IMAGES_ROOT) || exit 1; \
	done

.PHONY: images-push
images-push: images ## push the service images to IMAGE_REGISTRY
	@$(find_container_engine); \
	if [ -z "$$engine" ]; then \
		echo "images-push: no container engine (docker or podman) runs here; nothing to push"; \
		exit 0; \
	fi; \
	for s in $(IMAGE_SERVICES); do \
		$$engine push $(IMAGE_REGISTRY)/$$s:$(IMAGE_TAG) || exit 1; \
	done
