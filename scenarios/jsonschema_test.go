package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite scenario.schema.json from the Go types")

// TestJSONSchemaInSync keeps the shipped schema equal to what the types say.
func TestJSONSchemaInSync(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("scenario.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("scenario.schema.json is out of date: run go test ./scenarios -run TestJSONSchemaInSync -update")
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc["properties"].(map[string]any)
	target := props["target"].(map[string]any)
	if target["additionalProperties"] != false || len(target["required"].([]any)) != 1 {
		t.Errorf("target schema: %v", target)
	}
	phase := props["load"].(map[string]any)["properties"].(map[string]any)["phases"].(map[string]any)["items"].(map[string]any)
	kinds := phase["properties"].(map[string]any)["kind"].(map[string]any)["enum"].([]any)
	if len(kinds) != 6 {
		t.Errorf("phase kinds %v", kinds)
	}
}
