// check decodes cdr-bridge's Kubernetes manifests strictly into the API types, the way the API
// server's strict field validation does (an unknown, misspelt or wrongly cased field, or a key
// given twice, is an error), and then asserts what the deployment promises: the bridge as a
// native sidecar beside the dialler, a standby, probes, secrets only through *_FILE, sizing
// from the benchmark, and a locked-down container. It runs offline: nothing talks to a cluster.
//
//	go run . -settings REDIS_URL,... -secret-settings REDIS_URL,KAFKA_SASL_PASSWORD,... -peak-rss-mib 172.4 ../*.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// object is one decoded manifest document and where it came from.
type object struct {
	file string
	kind string
	name string
	obj  any
}

func (o object) String() string { return fmt.Sprintf("%s: %s/%s", o.file, o.kind, o.name) }

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

func main() {
	settingList := flag.String("settings", "", "comma-separated environment variables the bridge reads (src/config/settings.ts)")
	secretList := flag.String("secret-settings", "", "comma-separated settings that may be read from <NAME>_FILE (the bridge's secret settings)")
	envOut := flag.String("env-out", "", "write the sidecar's environment and the Secret files it reads as JSON here, for a config check")
	peakRssMiB := flag.Float64("peak-rss-mib", 0, "the benchmark's peak RSS in MiB; memory requests and limits are checked against it")
	flag.Parse()
	if flag.NArg() == 0 || *settingList == "" || *secretList == "" || *peakRssMiB <= 0 {
		fmt.Fprintln(os.Stderr, "usage: check -settings A,B,... -secret-settings A,... -peak-rss-mib N manifest.yaml...")
		os.Exit(2)
	}

	var objects []object
	var problems []string
	for _, file := range flag.Args() {
		decoded, errs := decodeFile(file)
		objects = append(objects, decoded...)
		problems = append(problems, errs...)
	}
	if len(problems) == 0 {
		rules := rules{settings: toSet(strings.Split(*settingList, ",")), secretSettings: toSet(strings.Split(*secretList, ",")), peakRssBytes: int64(*peakRssMiB * 1024 * 1024)}
		problems = rules.check(objects)
	}
	if len(problems) == 0 && *envOut != "" {
		if err := writeSidecarEnv(*envOut, objects); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		os.Exit(1)
	}
	fmt.Printf("ok: %d objects in %d files decode strictly and keep every promise\n", len(objects), flag.NArg())
}

func decodeFile(file string) ([]object, []string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, []string{err.Error()}
	}
	var objects []object
	var problems []string
	for i, doc := range docSeparator.Split(string(raw), -1) {
		if onlyComments(doc) {
			continue
		}
		o, err := decode(file, []byte(doc))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: document %d: %v", file, i+1, err))
			continue
		}
		objects = append(objects, o)
	}
	return objects, problems
}

func onlyComments(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// decode reads the kind, then decodes the whole document into that kind's type. Kinds this
// check does not know are refused rather than skipped, so nothing ships unchecked.
func decode(file string, doc []byte) (object, error) {
	// YAMLToJSONStrict refuses a key given twice; the JSON step below refuses unknown fields.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return object{}, err
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &head); err != nil {
		return object{}, err
	}
	var target any
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		target = &appsv1.Deployment{}
	case "v1 Secret":
		target = &corev1.Secret{}
	case "v1 ServiceAccount":
		target = &corev1.ServiceAccount{}
	default:
		return object{}, fmt.Errorf("kind %q of apiVersion %q is not one this check knows", head.Kind, head.APIVersion)
	}
	// Case-sensitive, like the API server: encoding/json alone would take "runAsNonroot".
	strict, err := kjson.UnmarshalStrict(js, target, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return object{}, err
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return object{}, fmt.Errorf("%s/%s: %s", head.Kind, head.Metadata.Name, strings.Join(msgs, "; "))
	}
	if head.Metadata.Name == "" {
		return object{}, fmt.Errorf("%s without metadata.name", head.Kind)
	}
	return object{file: file, kind: head.Kind, name: head.Metadata.Name, obj: target}, nil
}

func toSet(items []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out[s] = true
		}
	}
	return out
}

// hasPrefixDir: is path inside dir (not merely sharing a prefix of its name)?
func hasPrefixDir(path, dir string) bool {
	dir = strings.TrimSuffix(dir, "/")
	return strings.HasPrefix(path, dir+"/")
}
