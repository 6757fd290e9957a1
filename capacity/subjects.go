package capacity

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
)

// goodIdentity is the identity searched once per key type.
const goodIdentity = "chain.valid"

// Subjects are the searches of workloads × identities, in that order: the
// good identity (chain.valid) once per key type in keyTypes — its twin
// with the other key type CloudFront accepts stands in for it — any other
// identity with its own key, "none" without a certificate. No key types
// means the good identity's own. pkiDir names the PKI in errors.
func Subjects(pki *fixtures.PKI, pkiDir string, workloads []Workload, identities []string, keyTypes []cloudfront.KeyType) ([]Subject, error) {
	if len(identities) == 0 {
		return nil, cfgErr("identities", "none given")
	}
	var ids []Subject
	for _, name := range identities {
		switch {
		case name == loadgen.NoIdentity.Name:
			ids = append(ids, Subject{Identity: loadgen.NoIdentity})
		case name == goodIdentity && len(keyTypes) > 0:
			for _, kt := range keyTypes {
				id := pki.GoodIdentity(kt)
				if id == nil {
					return nil, cfgErr("key-types", "%s: the PKI in %s has no %s identity with this key type (a PKI written before key twins: run 'originproof pki init' again)", kt, pkiDir, goodIdentity)
				}
				ids = append(ids, subjectOf(id))
			}
		default:
			id := pki.Identity(name)
			switch {
			case id == nil:
				return nil, cfgErr("identities", "%q: no such identity in the PKI (see %s)", name, filepath.Join(pkiDir, fixtures.DirClients))
			case id.Skipped != "":
				return nil, cfgErr("identities", "%q: not built under this PKI: %s", name, id.Skipped)
			}
			ids = append(ids, subjectOf(id))
		}
	}
	var out []Subject
	for _, w := range workloads {
		for _, s := range ids {
			s.Workload = w
			out = append(out, s)
		}
	}
	return out, nil
}

func subjectOf(id *fixtures.Identity) Subject {
	c := id.TLSCertificate()
	kt := string(cloudfront.KeyTypeOf(id.Leaf.PublicKey))
	if kt == "" {
		kt = strings.ToLower(strings.ReplaceAll(fixtures.KeyDescription(id.Leaf.PublicKey), " ", "-"))
	}
	return Subject{Identity: loadgen.Identity{Name: id.CheckID, Certificate: &c}, KeyType: kt}
}

// ParseKeyTypes reads a comma-separated list of the key types CloudFront
// accepts.
func ParseKeyTypes(s string) ([]cloudfront.KeyType, error) {
	var out []cloudfront.KeyType
	for _, f := range strings.Split(s, ",") {
		kt := cloudfront.KeyType(strings.TrimSpace(f))
		ok := false
		for _, known := range cloudfront.ClientKeyTypes {
			ok = ok || kt == known
		}
		if !ok {
			return nil, fmt.Errorf("%q: %q is not a key type CloudFront accepts (%s, %s)", s, kt, cloudfront.KeyECDSAP256, cloudfront.KeyRSA2048)
		}
		for _, o := range out {
			if o == kt {
				return nil, fmt.Errorf("%q: %s is listed twice", s, kt)
			}
		}
		out = append(out, kt)
	}
	return out, nil
}
