// The bridge's environment in the manifests: every variable is a setting the bridge reads (a
// misspelt one would be ignored silently), and secrets arrive only as files from a Secret
// through <NAME>_FILE, never as values in the pod spec or as env from a secretKeyRef.
package main

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

func (r rules) checkEnv(p placement, secrets map[string]*corev1.Secret) []string {
	var out []string
	c := p.container
	for _, e := range c.Env {
		base, isFile := strings.CutSuffix(e.Name, "_FILE")
		switch {
		case r.secretSettings[e.Name]:
			out = append(out, fmt.Sprintf("env %s holds a secret in the pod spec; mount it from a Secret and set %s_FILE", e.Name, e.Name))
			continue
		case r.settings[e.Name]:
		case isFile && r.secretSettings[base]:
			out = append(out, r.checkSecretFile(p, e, secrets)...)
			continue
		case isFile && r.settings[base]:
			out = append(out, fmt.Sprintf("env %s: %s is not a secret setting, so the bridge never reads it from a file", e.Name, base))
			continue
		default:
			out = append(out, fmt.Sprintf("env %s is not a setting the bridge reads (misspelt?)", e.Name))
			continue
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			out = append(out, fmt.Sprintf("env %s comes from a secretKeyRef; secrets go through <NAME>_FILE", e.Name))
		}
	}
	return out
}

// checkSecretFile follows X_FILE's path to a read-only Secret volume and the key in the Secret.
func (r rules) checkSecretFile(p placement, e corev1.EnvVar, secrets map[string]*corev1.Secret) []string {
	file := e.Value
	for _, m := range p.container.VolumeMounts {
		if !hasPrefixDir(file, m.MountPath) {
			continue
		}
		vol := findVolume(p.pod, m.Name)
		if vol == nil || vol.Secret == nil {
			return []string{fmt.Sprintf("env %s: %s is on volume %q, which is not a Secret", e.Name, file, m.Name)}
		}
		var out []string
		if !m.ReadOnly {
			out = append(out, fmt.Sprintf("volumeMount %s: mount secrets readOnly", m.Name))
		}
		if !readableByContainer(p, vol.Secret) {
			out = append(out, fmt.Sprintf("volume %s: the files belong to root; give them mode 0444 or a pod fsGroup with mode 0440 so the bridge's user can read them", vol.Name))
		}
		if vol.Secret.Optional != nil && *vol.Secret.Optional {
			out = append(out, fmt.Sprintf("volume %s: a missing Secret must stop the start (optional: false)", vol.Name))
		}
		rel := strings.TrimPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/")
		if m.SubPath != "" {
			rel = path.Join(m.SubPath, rel)
		}
		key := rel
		if len(vol.Secret.Items) > 0 {
			key = ""
			for _, item := range vol.Secret.Items {
				if item.Path == rel {
					key = item.Key
				}
			}
			if key == "" {
				return append(out, fmt.Sprintf("env %s: no item of volume %s is projected to %s", e.Name, vol.Name, rel))
			}
		}
		secret, ok := secrets[vol.Secret.SecretName]
		if !ok {
			return append(out, fmt.Sprintf("env %s: Secret %q is not among the manifests", e.Name, vol.Secret.SecretName))
		}
		_, inData := secret.Data[key]
		_, inStringData := secret.StringData[key]
		if !inData && !inStringData {
			out = append(out, fmt.Sprintf("env %s: Secret %s has no key %q", e.Name, secret.Name, key))
		}
		return out
	}
	return []string{fmt.Sprintf("env %s: %s is on no volume mounted into the container", e.Name, file)}
}

// readableByContainer: a non-root user reads a Secret file through its "other" bit, or its
// group bit when the pod's fsGroup owns the volume (the default mode is 0644).
func readableByContainer(p placement, secret *corev1.SecretVolumeSource) bool {
	mode := int32(0o644)
	if secret.DefaultMode != nil {
		mode = *secret.DefaultMode
	}
	for _, item := range secret.Items {
		if item.Mode != nil {
			mode &= *item.Mode
		}
	}
	if mode&0o004 != 0 {
		return true
	}
	return mode&0o040 != 0 && p.pod.SecurityContext != nil && p.pod.SecurityContext.FSGroup != nil
}

func findVolume(pod *corev1.PodSpec, name string) *corev1.Volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}
