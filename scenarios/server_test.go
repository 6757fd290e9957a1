package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/originproof/originproof/checks"
)

// TestServerIsARecipe: target.server allows exactly the servers that have
// a recipe (checks.Servers), whose settings the report quotes.
func TestServerIsARecipe(t *testing.T) {
	f, _ := reflect.TypeOf(Target{}).FieldByName("Server")
	got := strings.Split(f.Tag.Get("enum"), ",")
	var want []string
	for _, s := range checks.Servers {
		want = append(want, string(s))
	}
	if !slices.Equal(got, want) {
		t.Errorf("target.server allows %v, the recipes are %v", got, want)
	}
}
