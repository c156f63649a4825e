// What the sidecar would see at run time: its environment and the content of each Secret file
// its *_FILE settings name. The node test feeds both to the bridge's own config loader, so a
// manifest that sets a value the bridge refuses fails here, not in the cluster.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

type sidecarEnv struct {
	Env   map[string]string `json:"env"`
	Files map[string]string `json:"files"`
}

func writeSidecarEnv(path string, objects []object) error {
	secrets := map[string]*corev1.Secret{}
	var sidecar *corev1.Container
	var pod *corev1.PodSpec
	for _, o := range objects {
		switch obj := o.obj.(type) {
		case *corev1.Secret:
			secrets[o.name] = obj
		case *appsv1.Deployment:
			for i := range obj.Spec.Template.Spec.InitContainers {
				if obj.Spec.Template.Spec.InitContainers[i].Name == bridgeName {
					sidecar, pod = &obj.Spec.Template.Spec.InitContainers[i], &obj.Spec.Template.Spec
				}
			}
		}
	}
	if sidecar == nil {
		return fmt.Errorf("no sidecar to write the environment of")
	}
	out := sidecarEnv{Env: map[string]string{}, Files: map[string]string{}}
	for _, e := range sidecar.Env {
		out.Env[e.Name] = e.Value
		if !strings.HasSuffix(e.Name, "_FILE") {
			continue
		}
		for _, m := range sidecar.VolumeMounts {
			vol := findVolume(pod, m.Name)
			if !hasPrefixDir(e.Value, m.MountPath) || vol == nil || vol.Secret == nil {
				continue
			}
			key := strings.TrimPrefix(e.Value, strings.TrimSuffix(m.MountPath, "/")+"/")
			if s, ok := secrets[vol.Secret.SecretName]; ok {
				if v, ok := s.StringData[key]; ok {
					out.Files[e.Value] = v
				} else if v, ok := s.Data[key]; ok {
					out.Files[e.Value] = string(v)
				}
			}
		}
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, js, 0o600)
}
