// Command apivalidate validates Kubernetes custom resources exactly as the API server's create
// path does, using k8s.io/apiextensions-apiserver's own code: pruning of unknown fields, CRD
// defaulting, OpenAPI schema validation, list-type (set and map) invariants, embedded-object
// metadata, and the CEL rules (x-kubernetes-validations). It is a test oracle for gwlab's offline
// validator and is never part of the product.
//
// Usage: apivalidate CRD_PATH... < objects.jsonl > verdicts.jsonl
//
// Each CRD_PATH is a YAML file (several documents allowed) or a folder searched for *.yaml.
// Each input line is {"id": "...", "object": {...}, "defaultNamespace": "default"}; each output
// line is {"id": "...", "known": bool, "accepted": bool, "errors": [...], "pruned": [...],
// "defaulted": {...}}. "known" is false when no CRD serves the object's group, version and kind
// (nothing is validated then).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	schemacel "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// served is what the API server holds for one served version of one CRD.
type served struct {
	namespaced bool
	hasStatus  bool
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *schemacel.Validator
}

type request struct {
	ID               string                 `json:"id"`
	Object           map[string]interface{} `json:"object"`
	DefaultNamespace string                 `json:"defaultNamespace"`
}

type verdict struct {
	ID        string                 `json:"id"`
	Known     bool                   `json:"known"`
	Accepted  bool                   `json:"accepted"`
	Errors    []string               `json:"errors"`
	Pruned    []string               `json:"pruned"`
	Defaulted map[string]interface{} `json:"defaulted,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apivalidate CRD_PATH... < objects.jsonl")
		os.Exit(2)
	}
	kinds := map[string]*served{}
	for _, p := range os.Args[1:] {
		if err := loadPath(p, kinds); err != nil {
			fmt.Fprintf(os.Stderr, "apivalidate: %s: %v\n", p, err)
			os.Exit(1)
		}
	}
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	line := 0
	for {
		raw, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(raw)) > 0 {
			line++
			var req request
			// The API server's own JSON decoding: integers stay int64, as CEL and the schema
			// validator expect.
			if jerr := utiljson.Unmarshal(raw, &req); jerr != nil {
				out.Flush()
				fmt.Fprintf(os.Stderr, "apivalidate: input line %d: %v\n", line, jerr)
				os.Exit(1)
			}
			if eerr := enc.Encode(admit(kinds, &req)); eerr != nil {
				fmt.Fprintf(os.Stderr, "apivalidate: %v\n", eerr)
				os.Exit(1)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "apivalidate: reading input: %v\n", err)
			os.Exit(1)
		}
	}
}

func loadPath(p string, kinds map[string]*served) error {
	info, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return loadFile(p, kinds)
	}
	var files []string
	err = filepath.Walk(p, func(f string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && (strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml")) {
			files = append(files, f)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		if err := loadFile(f, kinds); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
	}
	return nil
}

// loadFile reads every CustomResourceDefinition in a YAML stream. A later file serving the same
// group, version and kind replaces an earlier one (so an experimental channel given after the
// standard one wins).
func loadFile(path string, kinds map[string]*served) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil || head.Kind != "CustomResourceDefinition" {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			return err
		}
		if err := addCRD(&crd, kinds); err != nil {
			return fmt.Errorf("CRD %s: %v", crd.Name, err)
		}
	}
}

// addCRD builds, for each served version, what the API server's CRD handler builds: the
// structural schema with pruned defaults, the OpenAPI schema validator and the CEL validator.
func addCRD(crd *apiextensionsv1.CustomResourceDefinition, kinds map[string]*served) error {
	for _, v := range crd.Spec.Versions {
		if !v.Served || v.Schema == nil {
			continue
		}
		internal := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
			return err
		}
		s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return err
		}
		s = s.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(s); err != nil {
			return err
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return err
		}
		key := crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Kind
		kinds[key] = &served{
			namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			hasStatus:  v.Subresources != nil && v.Subresources.Status != nil,
			structural: s,
			validator:  validator,
			cel:        schemacel.NewValidator(s, true, celconfig.PerCallLimit),
		}
	}
	return nil
}

// admit runs the create path on one object: decode-time pruning, coercion and defaulting, then
// PrepareForCreate (status dropped when it is a subresource), then the strategy's validation.
func admit(kinds map[string]*served, req *request) verdict {
	out := verdict{ID: req.ID, Errors: []string{}, Pruned: []string{}}
	u := &unstructured.Unstructured{Object: req.Object}
	if u.Object == nil {
		u.Object = map[string]interface{}{}
	}
	gvk := u.GroupVersionKind()
	crd, ok := kinds[gvk.Group+"/"+gvk.Version+"/"+gvk.Kind]
	if !ok {
		return out
	}
	out.Known = true
	if crd.namespaced && u.GetNamespace() == "" {
		ns := req.DefaultNamespace
		if ns == "" {
			ns = "default"
		}
		u.SetNamespace(ns)
	}

	pruned, err := coerce(u, crd)
	if err != nil {
		out.Errors = append(out.Errors, err.Error())
		return out
	}
	out.Pruned = pruned
	structuraldefaulting.Default(u.Object, crd.structural)
	if crd.hasStatus {
		delete(u.Object, "status")
	}

	errs := validate(u, crd)
	for _, e := range errs {
		out.Errors = append(out.Errors, e.Error())
	}
	out.Accepted = len(errs) == 0
	out.Defaulted = u.Object
	return out
}

// coerce is the decoder's schema coercion: metadata read as ObjectMeta, unknown fields pruned,
// non-nullable nulls dropped, embedded metadata coerced.
func coerce(u *unstructured.Unstructured, crd *served) ([]string, error) {
	kind, apiVersion := u.GetKind(), u.GetAPIVersion()
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, err
	}
	pruned := append([]string{}, metaUnknown...)
	pruned = append(pruned, structuralpruning.PruneWithOptions(u.Object, crd.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, crd.structural)
	// Coerce returns a *field.Error: compared as such, not as an error interface.
	coerceErr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, crd.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if coerceErr != nil {
		return nil, coerceErr
	}
	pruned = append(pruned, paths...)
	u.SetKind(kind)
	u.SetAPIVersion(apiVersion)
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			return nil, err
		}
	}
	sort.Strings(pruned)
	return pruned, nil
}

// validate is customResourceStrategy.Validate for a create: metadata, the OpenAPI schema,
// embedded resources, list sets and maps, and then, when no blocking error was found, CEL.
func validate(u *unstructured.Unstructured, crd *served) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validation.ValidateObjectMetaAccessor(u, crd.namespaced, validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), crd.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, u.Object, crd.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, crd.structural, u.Object)...)
	if blocking(errs) {
		errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
		return errs
	}
	celErrs, _ := crd.cel.Validate(context.Background(), nil, crd.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// blocking is the strategy's rule for skipping CEL: an error that may break a rule's assumptions.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
