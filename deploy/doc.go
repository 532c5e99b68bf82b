// Package deploy holds how Seam is shipped and run: a Dockerfile per service
// (docker/), the image targets (images.mk), the Kubernetes manifests
// (k8s/base and the overlays k8s/overlays/dev and k8s/overlays/prod) and the
// tests that check them against the binaries they run. README.md is the
// operations guide.
package deploy
