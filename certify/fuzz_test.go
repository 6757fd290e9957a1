package certify

import "testing"

// FuzzParseShard reads --shard as given or, for auto, from the Indexed
// Job's environment: a shard within its count, or an input error.
func FuzzParseShard(f *testing.F) {
	for _, s := range [][3]string{{"1/2", "", ""}, {"auto", "0", "3"}, {"auto", "3", "3"}, {"auto", "-1", "2"}, {"auto", "", "2"},
		{"auto", "0", "0"}, {"", "1", "1"}, {"auto", "9223372036854775807", "9223372036854775807"}, {"auto", " 1", "2"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, spec, index, count string) {
		env := map[string]string{EnvCompletionIndex: index, EnvShards: count}
		s, err := ParseShard(spec, func(k string) string { return env[k] })
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("ParseShard(%q) error %T is not an input error: %v", spec, err, err)
			}
			return
		}
		if spec == "" {
			if s != (Shard{}) {
				t.Fatalf("no --shard gave %+v", s)
			}
			return
		}
		if s.Index < 1 || s.Count < 1 || s.Index > s.Count {
			t.Fatalf("ParseShard(%q) with %q, %q = %+v", spec, index, count, s)
		}
	})
}
