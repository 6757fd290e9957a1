package scenarios

import (
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/originproof/originproof/cloudfront"
)

// FromCloudFront is a starting scenario for the origin o of the CloudFront
// distribution config in configFile: the origin's URL, the distribution
// (whose settings fill pooling and whose custom headers are sent at run
// time, never written here), a PKI directory, and load that exercises
// CloudFront's pools: a warm-up, a steady phase and an idle gap longer than
// the origin's OriginKeepaliveTimeout, so every pool re-handshakes.
func FromCloudFront(configFile string, o *cloudfront.Origin) *Scenario {
	name := "cloudfront-" + o.ID
	if o.DistributionID != "" {
		name = o.DistributionID + "-" + o.ID
	}
	dur := func(d time.Duration) *Duration { return &Duration{d} }
	zero := Ratio(0)
	return &Scenario{
		Name:         name,
		Target:       Target{URL: o.URL()},
		PKI:          PKI{Dir: "pki"},
		Distribution: &Distribution{Config: configFile, OriginID: o.ID},
		Load: Load{Phases: []Phase{
			{Kind: "warm-up", Rate: 10, Duration: dur(5 * time.Second)},
			{Kind: "steady", Rate: 50, Duration: dur(20 * time.Second)},
			{Kind: "idle-gap-storm", Rate: 50, Duration: dur(5 * time.Second), Gap: dur(o.KeepaliveTimeout + time.Second)},
		}},
		Thresholds: []Threshold{{ErrorRate: &zero}},
	}
}

// Marshal writes the scenario as a file holds it: only the fields that are
// set (a nil pointer, an empty string, list or map, a false or zero plain
// field is left out; a set pointer is written whatever its value), in the
// format's order. Parse reads it back to the same scenario.
func (s *Scenario) Marshal() ([]byte, error) {
	n, err := nodeOf(reflect.ValueOf(s).Elem())
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(n)
}

// nodeOf is v as a YAML node, or nil when v is unset.
func nodeOf(v reflect.Value) (*yaml.Node, error) {
	switch {
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		if v.Elem().Kind() != reflect.Struct || v.Elem().Type() == durationType {
			var n yaml.Node
			return &n, n.Encode(v.Interface()) // a set pointer is written, false and 0 included
		}
		return nodeOf(v.Elem())
	case v.Kind() == reflect.Struct && v.Type() != durationType:
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range fieldsOf(v.Type()) {
			c, err := nodeOf(v.Field(f.index))
			if err != nil {
				return nil, err
			}
			if c != nil {
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.name}, c)
			}
		}
		if len(m.Content) == 0 {
			return nil, nil
		}
		return m, nil
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			return nil, nil
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i < v.Len(); i++ {
			c, err := nodeOf(v.Index(i))
			if err != nil {
				return nil, err
			}
			if c == nil {
				c = &yaml.Node{Kind: yaml.MappingNode}
			}
			seq.Content = append(seq.Content, c)
		}
		return seq, nil
	case v.IsZero():
		return nil, nil
	}
	var n yaml.Node
	return &n, n.Encode(v.Interface())
}
