// The promises the manifests keep, checked on the decoded objects. Each problem is one line
// naming the file, the object and the container, so a failing test says what to fix.
package main

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

const (
	bridgeName = "cdr-bridge"
	// The bridge's defaults (src/config/settings.ts) when the manifest does not set them.
	defaultHTTPPort          = 9464
	defaultShutdownTimeoutMs = 10000
	// A memory limit this far above the measured peak leaves room for V8's heap to grow
	// before the kernel's OOM killer ends the bridge mid-batch.
	limitHeadroom = 1.25
)

type rules struct {
	settings       map[string]bool // every environment variable the bridge reads
	secretSettings map[string]bool // those it also reads from <NAME>_FILE
	peakRssBytes   int64
}

// placement is one bridge container and the pod it runs in.
type placement struct {
	owner     object
	pod       *corev1.PodSpec
	container *corev1.Container
	sidecar   bool
}

func (p placement) String() string {
	role := "standby"
	if p.sidecar {
		role = "sidecar"
	}
	return fmt.Sprintf("%s: %s container %s", p.owner, role, p.container.Name)
}

func (r rules) check(objects []object) []string {
	var problems []string
	add := func(where fmt.Stringer, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	secrets := map[string]*corev1.Secret{}
	var sidecars, standbys []placement
	for _, o := range objects {
		switch obj := o.obj.(type) {
		case *corev1.Secret:
			secrets[o.name] = obj
		case *appsv1.Deployment:
			pod := &obj.Spec.Template.Spec
			for i := range pod.InitContainers {
				c := &pod.InitContainers[i]
				if c.Name != bridgeName {
					continue
				}
				if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
					add(o, "init container %s needs restartPolicy: Always to run beside the dialler as a native sidecar", c.Name)
				}
				if len(pod.Containers) == 0 {
					add(o, "a sidecar needs the dialler beside it in containers")
				}
				sidecars = append(sidecars, placement{owner: o, pod: pod, container: c, sidecar: true})
			}
			for i := range pod.Containers {
				if c := &pod.Containers[i]; c.Name == bridgeName {
					if obj.Spec.Replicas != nil && *obj.Spec.Replicas < 1 {
						add(o, "the standby runs no replica (replicas: %d)", *obj.Spec.Replicas)
					}
					standbys = append(standbys, placement{owner: o, pod: pod, container: c})
				}
			}
		}
	}
	if len(sidecars) != 1 {
		problems = append(problems, fmt.Sprintf("want the bridge as a native sidecar (init container %q) in exactly one Deployment, found %d", bridgeName, len(sidecars)))
	}
	if len(standbys) == 0 {
		problems = append(problems, fmt.Sprintf("want a standby: a Deployment running container %q", bridgeName))
	}
	for _, p := range append(sidecars, standbys...) {
		for _, msg := range r.checkPlacement(p, secrets) {
			add(p, "%s", msg)
		}
	}
	for _, s := range standbys {
		for _, c := range sidecars {
			if s.container.Image != c.container.Image {
				add(s, "image %s differs from the sidecar's %s", s.container.Image, c.container.Image)
			}
			// The standby must watch the very list the sidecar leads on, with the same Kafka.
			if !reflect.DeepEqual(s.container.Env, c.container.Env) {
				add(s, "environment differs from the sidecar's: a standby must use the same Redis, keys and Kafka")
			}
		}
	}
	return problems
}

func (r rules) checkPlacement(p placement, secrets map[string]*corev1.Secret) []string {
	var out []string
	c := p.container
	out = append(out, r.checkEnv(p, secrets)...)
	port := defaultHTTPPort
	if v, ok := envValue(c, "HTTP_PORT"); ok {
		port, _ = strconv.Atoi(v)
	}
	if host, _ := envValue(c, "HTTP_HOST"); host != "0.0.0.0" && host != "::" {
		out = append(out, fmt.Sprintf("HTTP_HOST=%q: the kubelet probes the pod's IP, so bind 0.0.0.0", host))
	}
	out = append(out, checkProbe("livenessProbe", c.LivenessProbe, "/healthz", port, c)...)
	if p.sidecar {
		// A sidecar's readiness is the dialler Pod's readiness: a Kafka outage (CDRs wait safely
		// in Redis) must not take the dialler out of its Service.
		if c.ReadinessProbe != nil {
			out = append(out, "a readinessProbe on the sidecar would make the dialler's Pod unready whenever Kafka is down; probe /readyz on the standby")
		}
	} else {
		out = append(out, checkProbe("readinessProbe", c.ReadinessProbe, "/readyz", port, c)...)
	}
	out = append(out, checkSecurity(p)...)
	out = append(out, r.checkResources(c)...)
	shutdownMs := defaultShutdownTimeoutMs
	if v, ok := envValue(c, "SHUTDOWN_TIMEOUT_MS"); ok {
		shutdownMs, _ = strconv.Atoi(v)
	}
	grace := int64(30)
	if p.pod.TerminationGracePeriodSeconds != nil {
		grace = *p.pod.TerminationGracePeriodSeconds
	}
	if grace*1000 <= int64(shutdownMs) {
		out = append(out, fmt.Sprintf("terminationGracePeriodSeconds %d does not leave SHUTDOWN_TIMEOUT_MS %d to finish the batch in flight", grace, shutdownMs))
	}
	if i := strings.LastIndex(c.Image, ":"); i < 0 || strings.Contains(c.Image[i:], "/") || c.Image[i+1:] == "latest" {
		out = append(out, fmt.Sprintf("image %q: pin a version tag (the sidecar and the standby must run the same build)", c.Image))
	}
	return out
}

func checkProbe(kind string, probe *corev1.Probe, path string, port int, c *corev1.Container) []string {
	if probe == nil || probe.HTTPGet == nil {
		return []string{fmt.Sprintf("%s: want an httpGet on %s", kind, path)}
	}
	var out []string
	if probe.HTTPGet.Path != path {
		out = append(out, fmt.Sprintf("%s: path %q, want %q", kind, probe.HTTPGet.Path, path))
	}
	target := probe.HTTPGet.Port
	probed := target.IntValue()
	if target.StrVal != "" {
		probed = 0
		for _, cp := range c.Ports {
			if cp.Name == target.StrVal {
				probed = int(cp.ContainerPort)
			}
		}
	}
	if probed != port {
		out = append(out, fmt.Sprintf("%s: probes port %s, but the bridge serves on HTTP_PORT %d", kind, target.String(), port))
	}
	return out
}

func checkSecurity(p placement) []string {
	var out []string
	sc := p.container.SecurityContext
	psc := p.pod.SecurityContext
	if sc == nil {
		return []string{"no securityContext"}
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		out = append(out, "securityContext.readOnlyRootFilesystem must be true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		out = append(out, "securityContext.allowPrivilegeEscalation must be false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		out = append(out, "securityContext.privileged must not be true")
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil && psc != nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		out = append(out, "runAsNonRoot must be true (on the container or the pod)")
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		out = append(out, "runAsUser 0 is root")
	}
	if sc.Capabilities == nil || !containsCapability(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		out = append(out, "capabilities: drop ALL and add none")
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil && psc != nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		out = append(out, "seccompProfile: RuntimeDefault (on the container or the pod)")
	}
	if p.pod.AutomountServiceAccountToken == nil || *p.pod.AutomountServiceAccountToken {
		out = append(out, "automountServiceAccountToken: false (the bridge never talks to the Kubernetes API)")
	}
	return out
}

func containsCapability(list []corev1.Capability, want corev1.Capability) bool {
	for _, c := range list {
		if c == want {
			return true
		}
	}
	return false
}

func (r rules) checkResources(c *corev1.Container) []string {
	var out []string
	peak := resource.NewQuantity(r.peakRssBytes, resource.BinarySI)
	peakMiB := float64(r.peakRssBytes) / (1 << 20)
	req, hasReq := c.Resources.Requests[corev1.ResourceMemory]
	lim, hasLim := c.Resources.Limits[corev1.ResourceMemory]
	if !hasReq || req.Cmp(*peak) < 0 {
		out = append(out, fmt.Sprintf("resources.requests.memory %s is below the benchmark's peak RSS %.1f MiB", req.String(), peakMiB))
	}
	wantLimit := int64(float64(r.peakRssBytes) * limitHeadroom)
	if !hasLim || lim.Value() < wantLimit {
		out = append(out, fmt.Sprintf("resources.limits.memory %s leaves less than %.0f%% over the peak RSS (want %.1f MiB or more)", lim.String(), (limitHeadroom-1)*100, float64(wantLimit)/(1<<20)))
	}
	if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
		out = append(out, "resources.requests.cpu is not set")
	}
	return out
}

func envValue(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}
