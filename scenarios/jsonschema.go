package scenarios

import (
	"encoding/json"
	"reflect"
)

// JSONSchema returns the JSON Schema (draft 2020-12) of the scenario format,
// generated from the Go types so that it cannot drift from the parser.
// scenario.schema.json is this output; editors use it for completion.
func JSONSchema() ([]byte, error) {
	root := schemaOf(reflect.TypeOf(Scenario{}), nil)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://github.com/originproof/originproof/scenarios/scenario.schema.json"
	root["title"] = "originproof scenario"
	root["description"] = "One go-live gate for CloudFront origin mTLS: the origin, the PKI, the expected policy, CloudFront-shaped load and thresholds."
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func schemaOf(t reflect.Type, f *field) map[string]any {
	s := map[string]any{}
	if f != nil {
		if f.desc != "" {
			s["description"] = f.desc
		}
		if f.def != "" {
			s["default"] = f.def
		}
	}
	switch {
	case t == durationType:
		s["type"] = "string"
		s["pattern"] = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
		return s
	case t == ratioType:
		s["oneOf"] = []any{
			map[string]any{"type": "number", "minimum": 0, "maximum": 1},
			map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?%$`},
		}
		return s
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), f)
	case reflect.Struct:
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		var required []string
		for _, fd := range fieldsOf(t) {
			fd := fd
			props[fd.name] = schemaOf(t.Field(fd.index).Type, &fd)
			if fd.required {
				required = append(required, fd.name)
			}
		}
		s["properties"] = props
		if len(required) > 0 {
			s["required"] = required
		}
	case reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), nil)
	case reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = map[string]any{"type": "string"}
	case reflect.String:
		s["type"] = "string"
		if f != nil && len(f.enum) > 0 {
			s["enum"] = f.enum
		}
	case reflect.Bool:
		s["type"] = "boolean"
	case reflect.Int:
		s["type"] = "integer"
		if f != nil {
			if r := limits[f.limit].ints; r != nil {
				s["minimum"], s["maximum"] = r[0], r[1]
			}
		}
	case reflect.Float64:
		s["type"] = "number"
	}
	return s
}
