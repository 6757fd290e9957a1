package kube

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/originproof/originproof/clientcert"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/scenarios"
)

// Paths inside the shard pods. Everything the scenario reads is projected
// into one read-only volume at InputsMount.
const (
	InputsMount  = "/etc/originproof"
	ResultsMount = "/results"
	TmpMount     = "/tmp"

	scenarioRel    = "scenario.yaml"
	pkiRel         = "pki"
	serverRootsRel = "files/server-roots.pem"
	cfCertRel      = "files/cloudfront/cert.pem"
	cfKeyRel       = "files/cloudfront/key.pem"
	cfChainRel     = "files/cloudfront/chain.pem"

	// ScenarioPath is the scenario file the shards run.
	ScenarioPath = InputsMount + "/" + scenarioRel
	// PKIPath is the PKI directory the scenario names (pki.dir).
	PKIPath = InputsMount + "/" + pkiRel
)

// secretBudget bounds the data of one Secret. The API server refuses more
// than 1 MiB per Secret; client-side `kubectl apply` also copies the whole
// object, base64-encoded, into the last-applied-configuration annotation,
// and annotations are limited to 256 KiB in total: 160 KiB of data is
// about 214 KiB encoded, which leaves room for keys and metadata.
const secretBudget = 160 << 10

// inputFile is one file the shards read, at rel under InputsMount.
type inputFile struct {
	rel  string
	data []byte
}

// inputs is what the shards read besides the scenario: the files and the
// names of the CA keys a user-created Secret may supply.
type inputs struct {
	files []inputFile
	// caKeys are the file names under ca/ whose keys the PKI has but the
	// rendered objects leave out (client-root.key, …).
	caKeys []string
}

// pkiInputs selects what the shards need from a PKI directory written by
// `pki init`: the manifest, the public material (client CA bundle, CRLs,
// server and CA certificates) and every client identity with its key. CA
// keys (ca/*.key) and the origin's own server key are left out: shards are
// clients, and the CA keys may be the ones the production origin trusts.
func pkiInputs(dir string) (*inputs, error) {
	if _, err := fixtures.LoadDir(dir); err != nil {
		return nil, optErr("pki.dir", "%v", err)
	}
	mpath := filepath.Join(dir, fixtures.FileManifest)
	mdata, err := os.ReadFile(mpath)
	if err != nil {
		return nil, optErr("pki.dir", "%s: %v", mpath, unwrapPath(err))
	}
	var m fixtures.Manifest
	if err := json.Unmarshal(mdata, &m); err != nil {
		return nil, optErr("pki.dir", "%s: malformed manifest: %v", mpath, err)
	}
	in := &inputs{files: []inputFile{{rel: path.Join(pkiRel, fixtures.FileManifest), data: mdata}}}
	clientKeys := map[string]bool{}
	for _, id := range m.Identities {
		if id.Key != "" {
			clientKeys[id.Key] = true
		}
	}
	for _, f := range m.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return nil, optErr("pki.dir", "%s: file %q is outside the PKI directory", mpath, f.Path)
		}
		switch {
		case !f.Private, clientKeys[f.Path]:
		case path.Dir(f.Path) == fixtures.DirCA:
			in.caKeys = append(in.caKeys, path.Base(f.Path))
			continue
		default: // origin/server.key: the origin's, not a client's
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, optErr("pki.dir", "%s: %v", filepath.Join(dir, f.Path), unwrapPath(err))
		}
		in.files = append(in.files, inputFile{rel: path.Join(pkiRel, f.Path), data: data})
	}
	return in, nil
}

// scenarioInputs returns the scenario as the pods read it (every path
// pointing into InputsMount) and the files it names besides the PKI
// (target.server_roots, policy.cloudfront_cert).
func scenarioInputs(s *scenarios.Scenario, results loadgen.ResultsMode) (*scenarios.Scenario, []inputFile, error) {
	var files []inputFile
	pod := *s
	pod.PKI = scenarios.PKI{Dir: PKIPath}
	pod.Results = string(results)
	if r := s.Target.ServerRoots; r != "" && r != "system" {
		data, err := os.ReadFile(r)
		if err != nil {
			return nil, nil, optErr("target.server_roots", "%s: %v", r, unwrapPath(err))
		}
		if _, err := fixtures.ParseCertsPEM(data, r); err != nil {
			return nil, nil, optErr("target.server_roots", "%v", err)
		}
		files = append(files, inputFile{rel: serverRootsRel, data: data})
		pod.Target.ServerRoots = InputsMount + "/" + serverRootsRel
	}
	if c := s.Policy.CloudFrontCert; c != nil {
		if _, err := clientcert.Load(c.Cert, c.Key, c.Chain); err != nil {
			return nil, nil, optErr("policy.cloudfront_cert", "%v", err)
		}
		pc := &scenarios.CloudFrontCert{Cert: InputsMount + "/" + cfCertRel, Key: InputsMount + "/" + cfKeyRel}
		for _, f := range []struct{ src, rel string }{{c.Cert, cfCertRel}, {c.Key, cfKeyRel}, {c.Chain, cfChainRel}} {
			if f.src == "" {
				continue
			}
			data, err := os.ReadFile(f.src)
			if err != nil {
				return nil, nil, optErr("policy.cloudfront_cert", "%s: %v", f.src, unwrapPath(err))
			}
			files = append(files, inputFile{rel: f.rel, data: data})
		}
		if c.Chain != "" {
			pc.Chain = InputsMount + "/" + cfChainRel
		}
		pod.Policy.CloudFrontCert = pc
	}
	return &pod, files, nil
}

// refuseCAKeys fails when any private key among the files belongs to a CA
// certificate found among them (a root of the bundle, an intermediate of a
// chain, a certificate under ca/): whatever the manifest says, no CA key
// leaves the machine. A client file's own leaf is not a CA even when it
// says so (usage.leaf-is-ca presents exactly that, and needs its key).
func refuseCAKeys(files []inputFile) error {
	var caKeys []crypto.PublicKey
	for _, f := range files {
		certs := pemCerts(f.data)
		if isClientCertFile(f.rel) && len(certs) > 0 {
			certs = certs[1:]
		}
		for _, c := range certs {
			if c.IsCA {
				caKeys = append(caKeys, c.PublicKey)
			}
		}
	}
	for _, f := range files {
		for _, pub := range pemPrivateKeys(f.data) {
			for _, ca := range caKeys {
				if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(ca) {
					return fmt.Errorf("%s holds the private key of a CA certificate: refusing to put it into a Secret", f.rel)
				}
			}
		}
	}
	return nil
}

// isClientCertFile says whether rel is a client identity's certificate
// file (its leaf first, then the chain it presents).
func isClientCertFile(rel string) bool {
	return rel == cfCertRel || strings.HasPrefix(rel, pkiRel+"/"+fixtures.DirClients+"/") && path.Base(rel) == "cert.pem"
}

// pemCerts parses every CERTIFICATE block of data (others are skipped).
func pemCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return out
		}
		if b.Type == "CERTIFICATE" {
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				out = append(out, c)
			}
		}
	}
}

// pemPrivateKeys returns the public halves of every private key in data.
func pemPrivateKeys(data []byte) []crypto.PublicKey {
	var out []crypto.PublicKey
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return out
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		if k, err := fixtures.ParseKeyPEM(pem.EncodeToMemory(b), "key"); err == nil {
			out = append(out, k.Public())
		}
	}
}

// secretKey is a file's key in a Secret: its path with '/' as '_' (keys
// may hold only [-._a-zA-Z0-9]).
func secretKey(rel string) string { return strings.ReplaceAll(rel, "/", "_") }

// splitFiles packs files, in order, into groups whose data stays within
// budget bytes: one Secret each.
func splitFiles(files []inputFile, budget int) ([][]inputFile, error) {
	var groups [][]inputFile
	var cur []inputFile
	size := 0
	seen := map[string]string{}
	for _, f := range files {
		k := secretKey(f.rel)
		if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
			return nil, fmt.Errorf("%s: cannot be a Secret key: %s", f.rel, errs[0])
		}
		if other, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s and %s map to the same Secret key %s", other, f.rel, k)
		}
		seen[k] = f.rel
		if len(f.data) > budget {
			return nil, fmt.Errorf("%s: %d bytes is more than a Secret may hold here (%d)", f.rel, len(f.data), budget)
		}
		if size+len(f.data) > budget {
			groups, cur, size = append(groups, cur), nil, 0
		}
		cur = append(cur, f)
		size += len(f.data)
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups, nil
}

// unwrapPath drops the operation and path of a file error: messages name
// the file themselves.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
