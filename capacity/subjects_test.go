package capacity

import (
	"slices"
	"strings"
	"testing"

	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/internal/testenv"
)

func TestSubjects(t *testing.T) {
	p := testenv.PKI(t)
	got, err := Subjects(p, "pki", []Workload{Handshakes, Requests}, []string{"chain.valid", "none"}, []cloudfront.KeyType{cloudfront.KeyECDSAP256, cloudfront.KeyRSA2048})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.String())
	}
	want := []string{
		"handshakes, chain.valid (ecdsa-p256)", "handshakes, chain.valid-rsa2048 (rsa-2048)", "handshakes, none",
		"requests, chain.valid (ecdsa-p256)", "requests, chain.valid-rsa2048 (rsa-2048)", "requests, none",
	}
	if !slices.Equal(names, want) {
		t.Errorf("subjects %q\nwant %q", names, want)
	}
	if got[2].MTLS() || !got[1].MTLS() || got[1].Identity.Certificate.Leaf != p.Identity("chain.valid-rsa2048").Leaf {
		t.Error("subjects present the wrong certificates")
	}
	// Without key types: the good identity's own; other identities their own key.
	got, err = Subjects(p, "pki", []Workload{Handshakes}, []string{"chain.valid", "strength.rsa-1024"}, nil)
	if err != nil || len(got) != 2 || got[0].KeyType != "ecdsa-p256" || got[1].KeyType != "rsa-1024" {
		t.Errorf("Subjects = %v, %v", got, err)
	}
	for _, ids := range [][]string{{"chain.nope"}, nil} {
		_, err := Subjects(p, "pki", []Workload{Handshakes}, ids, nil)
		if ce, ok := err.(*ConfigError); !ok || ce.Field != "identities" {
			t.Errorf("identities %q: %v, want a ConfigError for identities", ids, err)
		}
	}
	// A PKI written before key twins: the missing key type is named.
	old := *p
	old.Identities = nil
	for _, id := range p.Identities {
		if id.CheckID != "chain.valid-rsa2048" {
			old.Identities = append(old.Identities, id)
		}
	}
	_, err = Subjects(&old, "pki", []Workload{Handshakes}, []string{"chain.valid"}, []cloudfront.KeyType{cloudfront.KeyRSA2048})
	if ce, ok := err.(*ConfigError); !ok || ce.Field != "key-types" || !strings.Contains(ce.Reason, "pki init") {
		t.Errorf("a PKI without the RSA twin: %v, want a ConfigError for key-types saying to run pki init", err)
	}
	if kts, err := ParseKeyTypes("rsa-2048, ecdsa-p256"); err != nil || !slices.Equal(kts, []cloudfront.KeyType{cloudfront.KeyRSA2048, cloudfront.KeyECDSAP256}) {
		t.Errorf("ParseKeyTypes = %v, %v", kts, err)
	}
	for _, bad := range []string{"rsa-4096", "", "rsa-2048,rsa-2048"} {
		if _, err := ParseKeyTypes(bad); err == nil {
			t.Errorf("ParseKeyTypes(%q) accepted", bad)
		}
	}
}
