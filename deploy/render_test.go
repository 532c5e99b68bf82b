package deploy

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// overlays are the deployable kustomizations under k8s/overlays.
var overlays = []string{"dev", "prod"}

// decoders maps apiVersion/kind to the Go type an object must decode into.
// A kind missing here fails the test: every object is checked strictly.
var decoders = map[string]func() any{
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() any { return &appsv1.StatefulSet{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
	"networking.k8s.io/v1/Ingress":           func() any { return &networkingv1.Ingress{} },
	"postgresql.cnpg.io/v1/Cluster":          func() any { return &cnpgCluster{} },
	"postgresql.cnpg.io/v1/ScheduledBackup":  func() any { return &cnpgScheduledBackup{} },
}

// rendered is the output of one kustomization, decoded.
type rendered struct {
	Namespaces      []*corev1.Namespace
	ConfigMaps      map[string]*corev1.ConfigMap
	Services        map[string]*corev1.Service
	ServiceAccounts map[string]*corev1.ServiceAccount
	Deployments     map[string]*appsv1.Deployment
	StatefulSets    map[string]*appsv1.StatefulSet
	PDBs            []*policyv1.PodDisruptionBudget
	HPAs            map[string]*autoscalingv2.HorizontalPodAutoscaler
	NetworkPolicies []*networkingv1.NetworkPolicy
	Ingresses       []*networkingv1.Ingress
	Clusters        map[string]*cnpgCluster
	ScheduledBackup []*cnpgScheduledBackup
}

// kustomizeMu serialises kustomize builds: kyaml keeps its OpenAPI schema in
// process-wide state that it initialises lazily without a lock, so two builds
// in parallel tests race (kubernetes-sigs/kustomize#5805).
var kustomizeMu sync.Mutex

// render builds the overlay with kustomize and decodes every object into
// its API type, failing on fields the type does not have.
func render(t testing.TB, overlay string) *rendered {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy", "k8s", "overlays", overlay)
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	kustomizeMu.Lock() // held while the resources are read too
	defer kustomizeMu.Unlock()
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	r := &rendered{
		ConfigMaps:      map[string]*corev1.ConfigMap{},
		Services:        map[string]*corev1.Service{},
		ServiceAccounts: map[string]*corev1.ServiceAccount{},
		Deployments:     map[string]*appsv1.Deployment{},
		StatefulSets:    map[string]*appsv1.StatefulSet{},
		HPAs:            map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		Clusters:        map[string]*cnpgCluster{},
	}
	for _, res := range m.Resources() {
		b, err := res.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", res.CurId(), err)
		}
		key := res.GetApiVersion() + "/" + res.GetKind()
		newObj, ok := decoders[key]
		if !ok {
			t.Errorf("%s: %s %s has no Go type to check it against", overlay, key, res.GetName())
			continue
		}
		obj := newObj()
		if err := decodeStrict(b, obj); err != nil {
			t.Errorf("%s: %s %s: %v", overlay, key, res.GetName(), err)
			continue
		}
		if err := r.add(obj); err != nil {
			t.Errorf("%s: %v", overlay, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return r
}

// decodeStrict decodes JSON into v, failing on unknown and duplicate fields
// (matched case-sensitively, as the API server does).
func decodeStrict(data []byte, v any) error {
	strict, err := json.UnmarshalStrict(data, v)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		return fmt.Errorf("strict decoding: %v", strict)
	}
	return nil
}

func (r *rendered) add(obj any) error {
	dup := func(kind, name string) error { return fmt.Errorf("two %s objects named %s", kind, name) }
	switch o := obj.(type) {
	case *corev1.Namespace:
		r.Namespaces = append(r.Namespaces, o)
	case *corev1.ConfigMap:
		if r.ConfigMaps[o.Name] != nil {
			return dup("ConfigMap", o.Name)
		}
		r.ConfigMaps[o.Name] = o
	case *corev1.Service:
		if r.Services[o.Name] != nil {
			return dup("Service", o.Name)
		}
		r.Services[o.Name] = o
	case *corev1.ServiceAccount:
		r.ServiceAccounts[o.Name] = o
	case *appsv1.Deployment:
		if r.Deployments[o.Name] != nil {
			return dup("Deployment", o.Name)
		}
		r.Deployments[o.Name] = o
	case *appsv1.StatefulSet:
		if r.StatefulSets[o.Name] != nil {
			return dup("StatefulSet", o.Name)
		}
		r.StatefulSets[o.Name] = o
	case *policyv1.PodDisruptionBudget:
		r.PDBs = append(r.PDBs, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		r.HPAs[o.Name] = o
	case *networkingv1.NetworkPolicy:
		r.NetworkPolicies = append(r.NetworkPolicies, o)
	case *networkingv1.Ingress:
		r.Ingresses = append(r.Ingresses, o)
	case *cnpgCluster:
		if r.Clusters[o.Metadata.Name] != nil {
			return dup("Cluster", o.Metadata.Name)
		}
		r.Clusters[o.Metadata.Name] = o
	case *cnpgScheduledBackup:
		r.ScheduledBackup = append(r.ScheduledBackup, o)
	default:
		return fmt.Errorf("unhandled type %T", obj)
	}
	return nil
}

// workload is a pod template with the object that owns it.
type workload struct {
	Kind, Name string
	Template   *corev1.PodTemplateSpec
}

// workloads lists the Deployments and StatefulSets of the render.
func (r *rendered) workloads() []workload {
	var out []workload
	for _, name := range sortedKeys(r.Deployments) {
		out = append(out, workload{"Deployment", name, &r.Deployments[name].Spec.Template})
	}
	for _, name := range sortedKeys(r.StatefulSets) {
		out = append(out, workload{"StatefulSet", name, &r.StatefulSets[name].Spec.Template})
	}
	return out
}

// podShape is what a network policy can see of a pod: its labels and the
// ports its containers declare.
type podShape struct {
	Owner  string
	Labels map[string]string
	Ports  []corev1.ContainerPort
}

// pods lists the pods the render makes: the pod templates, and for each
// CloudNativePG cluster the instance pods the operator creates (labelled
// cnpg.io/cluster=<name> and cnpg.io/podRole=instance, plus the cluster's
// inheritedMetadata labels; PostgreSQL on 5432, the instance manager's
// status on 8000 and metrics on 9187).
func (r *rendered) pods() []podShape {
	var out []podShape
	for _, w := range r.workloads() {
		p := podShape{Owner: w.Kind + "/" + w.Name, Labels: w.Template.Labels}
		for _, c := range w.Template.Spec.Containers {
			p.Ports = append(p.Ports, c.Ports...)
		}
		out = append(out, p)
	}
	for _, name := range sortedKeys(r.Clusters) {
		c := r.Clusters[name]
		labels := map[string]string{"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"}
		if c.Spec.InheritedMetadata != nil {
			for k, v := range c.Spec.InheritedMetadata.Labels {
				labels[k] = v
			}
		}
		out = append(out, podShape{Owner: "Cluster/" + name, Labels: labels, Ports: []corev1.ContainerPort{
			{Name: "postgresql", ContainerPort: 5432, Protocol: corev1.ProtocolTCP},
			{Name: "status", ContainerPort: 8000, Protocol: corev1.ProtocolTCP},
			{Name: "metrics", ContainerPort: 9187, Protocol: corev1.ProtocolTCP},
		}})
	}
	return out
}

// The CloudNativePG resources have no Go type in this module: these structs
// hold the fields of postgresql.cnpg.io/v1 the manifests use, so a misspelt
// or misplaced field fails strict decoding. Field names follow the
// CloudNativePG API reference.

type cnpgCluster struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       cnpgClusterSpec   `json:"spec"`
}

type cnpgClusterSpec struct {
	Instances             int                         `json:"instances"`
	ImageName             string                      `json:"imageName"`
	PrimaryUpdateStrategy string                      `json:"primaryUpdateStrategy,omitempty"`
	InheritedMetadata     *cnpgEmbeddedMetadata       `json:"inheritedMetadata,omitempty"`
	Bootstrap             *cnpgBootstrap              `json:"bootstrap,omitempty"`
	Storage               cnpgStorage                 `json:"storage"`
	WalStorage            *cnpgStorage                `json:"walStorage,omitempty"`
	Resources             corev1.ResourceRequirements `json:"resources"`
	Affinity              *cnpgAffinity               `json:"affinity,omitempty"`
	PostgreSQL            *cnpgPostgresConfiguration  `json:"postgresql,omitempty"`
	Backup                *cnpgBackupConfiguration    `json:"backup,omitempty"`
	ExternalClusters      []cnpgExternalCluster       `json:"externalClusters,omitempty"`
}

type cnpgEmbeddedMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type cnpgBootstrap struct {
	InitDB *struct {
		Database string `json:"database"`
		Owner    string `json:"owner"`
	} `json:"initdb,omitempty"`
	Recovery *struct {
		Source         string `json:"source,omitempty"`
		Database       string `json:"database,omitempty"`
		Owner          string `json:"owner,omitempty"`
		RecoveryTarget *struct {
			TargetTime string `json:"targetTime,omitempty"`
		} `json:"recoveryTarget,omitempty"`
	} `json:"recovery,omitempty"`
}

type cnpgStorage struct {
	Size         string  `json:"size"`
	StorageClass *string `json:"storageClass,omitempty"`
}

type cnpgAffinity struct {
	EnablePodAntiAffinity *bool  `json:"enablePodAntiAffinity,omitempty"`
	TopologyKey           string `json:"topologyKey,omitempty"`
	PodAntiAffinityType   string `json:"podAntiAffinityType,omitempty"`
}

type cnpgPostgresConfiguration struct {
	Parameters map[string]string `json:"parameters,omitempty"`
}

type cnpgBackupConfiguration struct {
	RetentionPolicy   string                 `json:"retentionPolicy,omitempty"`
	BarmanObjectStore *cnpgBarmanObjectStore `json:"barmanObjectStore,omitempty"`
}

type cnpgBarmanObjectStore struct {
	DestinationPath string             `json:"destinationPath"`
	EndpointURL     string             `json:"endpointURL,omitempty"`
	ServerName      string             `json:"serverName,omitempty"`
	S3Credentials   *cnpgS3Credentials `json:"s3Credentials,omitempty"`
	Wal             *struct {
		Compression string `json:"compression,omitempty"`
		MaxParallel int    `json:"maxParallel,omitempty"`
	} `json:"wal,omitempty"`
	Data *struct {
		Compression string `json:"compression,omitempty"`
		Jobs        int    `json:"jobs,omitempty"`
	} `json:"data,omitempty"`
}

type cnpgS3Credentials struct {
	AccessKeyID        *cnpgSecretKeySelector `json:"accessKeyId,omitempty"`
	SecretAccessKey    *cnpgSecretKeySelector `json:"secretAccessKey,omitempty"`
	Region             *cnpgSecretKeySelector `json:"region,omitempty"`
	SessionToken       *cnpgSecretKeySelector `json:"sessionToken,omitempty"`
	InheritFromIAMRole bool                   `json:"inheritFromIAMRole,omitempty"`
}

type cnpgSecretKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type cnpgExternalCluster struct {
	Name              string                 `json:"name"`
	BarmanObjectStore *cnpgBarmanObjectStore `json:"barmanObjectStore,omitempty"`
}

type cnpgScheduledBackup struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		Schedule             string `json:"schedule"`
		Immediate            *bool  `json:"immediate,omitempty"`
		Suspend              *bool  `json:"suspend,omitempty"`
		BackupOwnerReference string `json:"backupOwnerReference,omitempty"`
		Method               string `json:"method,omitempty"`
		Cluster              struct {
			Name string `json:"name"`
		} `json:"cluster"`
	} `json:"spec"`
}
