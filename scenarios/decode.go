package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a scenario file, with its position.
type Error struct {
	File      string
	Line, Col int
	Path      string // dotted field path, e.g. load.phases[1].gap
	Msg       string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Errors is every problem found, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

type decoder struct {
	file string
	errs Errors
	pos  map[string]*yaml.Node // field path -> node, for semantic errors
}

func (d *decoder) errorf(n *yaml.Node, path, format string, a ...any) {
	e := &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

var (
	durationType = reflect.TypeOf(Duration{})
	ratioType    = reflect.TypeOf(Ratio(0))
)

// scalar is a type the format writes as one scalar in a syntax of its own:
// what an error calls it, and its parser.
type scalar struct {
	want  string
	parse func(string) (any, error)
}

var scalars = map[reflect.Type]scalar{
	durationType: {"a duration (e.g. 5s)", func(s string) (any, error) { return parseDuration(s) }},
	ratioType:    {"a ratio (e.g. 0.001 or 0.1%)", func(s string) (any, error) { return parseRatio(s) }},
}

// field describes one struct field of the format.
type field struct {
	name     string
	index    int
	required bool
	def      string
	enum     []string
	desc     string
	limit    string // key of limits
}

func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name := sf.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		f := field{name: name, index: i, required: sf.Tag.Get("required") == "true", def: sf.Tag.Get("default"), desc: sf.Tag.Get("desc"), limit: sf.Tag.Get("limit")}
		if t := limitText(f.limit); t != "" {
			f.desc += ": " + t
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		if e := limitEnum(f.limit); e != nil {
			f.enum = e
		}
		out = append(out, f)
	}
	return out
}

func fieldNames(fs []field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func kindName(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "this"
}

// decode fills v from n. It reports every problem rather than stopping at the first.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, f *field) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.pos[path] = n
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent value: defaults apply
	}
	t := v.Type()
	if sc, ok := scalars[t]; ok {
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "want %s, got %s", sc.want, kindName(n))
			return
		}
		x, err := sc.parse(n.Value)
		if err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(x))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		nv := reflect.New(t.Elem())
		d.decode(n, nv.Elem(), path, f)
		v.Set(nv)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a mapping with fields %s, got %s", fieldNames(fieldsOf(t)), kindName(n))
			return
		}
		fs := fieldsOf(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			var fd *field
			for j := range fs {
				if fs[j].name == k.Value {
					fd = &fs[j]
				}
			}
			if fd == nil {
				d.errorf(k, path, "unknown field %q (allowed: %s)", k.Value, fieldNames(fs))
				continue
			}
			if seen[k.Value] {
				d.errorf(k, path, "field %q given twice", k.Value)
				continue
			}
			seen[k.Value] = true
			d.decode(val, v.Field(fd.index), join(path, fd.name), fd)
		}
		for _, fd := range fs {
			if fd.required && !seen[fd.name] {
				where := path
				if where == "" {
					where = "the scenario"
				}
				d.errorf(n, path, "missing required field %q in %s", fd.name, where)
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "want a list, got %s", kindName(n))
			return
		}
		sl := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, sl.Index(i), fmt.Sprintf("%s[%d]", path, i), nil)
		}
		v.Set(sl)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a mapping of names to values, got %s", kindName(n))
			return
		}
		m := reflect.MakeMap(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if val.Kind != yaml.ScalarNode {
				d.errorf(val, join(path, k.Value), "want a string value, got %s", kindName(val))
				continue
			}
			m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "want a string, got %s", kindName(n))
			return
		}
		if f != nil && len(f.enum) > 0 && !contains(f.enum, n.Value) {
			d.errorf(n, path, "%q is not allowed (allowed: %s)", n.Value, strings.Join(f.enum, ", "))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil || (n.Tag != "!!bool" && n.Tag != "!!str") {
			d.errorf(n, path, "want true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, path, "want a whole number, got %s", kindName(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		x, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, path, "want a number, got %s", kindName(n))
			return
		}
		v.SetFloat(x)
	default:
		d.errorf(n, path, "unsupported field type %s", t)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// applyDefaults sets fields absent from the file to their tag defaults.
func applyDefaults(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			applyDefaults(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			applyDefaults(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == durationType {
			return
		}
		for _, f := range fieldsOf(v.Type()) {
			fv := v.Field(f.index)
			if f.def != "" && fv.Kind() == reflect.String && fv.String() == "" {
				fv.SetString(f.def)
			}
			applyDefaults(fv)
		}
	}
}

// decodeYAML parses data strictly into a Scenario (defaults not yet applied).
func decodeYAML(data []byte, file string) (*Scenario, *decoder, error) {
	d := &decoder{file: file, pos: map[string]*yaml.Node{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, syntaxError(err, file)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, nil, Errors{{File: file, Msg: "the file is empty: a scenario needs at least a target (see scenarios/smoke.yaml)"}}
	}
	var s Scenario
	d.decode(root.Content[0], reflect.ValueOf(&s).Elem(), "", nil)
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, nil, d.errs
	}
	return &s, d, nil
}

func sortErrors(es Errors) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}

// syntaxError turns yaml.v3's "yaml: line N: msg" into file:N:1: msg.
func syntaxError(err error, file string) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	e := &Error{File: file, Line: line, Col: 1, Msg: "YAML syntax: " + msg}
	if line == 0 {
		e.Col = 0
	}
	return Errors{e}
}

// IsScenarioError reports whether err is a problem with the scenario file
// (as opposed to an I/O error).
func IsScenarioError(err error) bool {
	var es Errors
	return errors.As(err, &es)
}
