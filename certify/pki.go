package certify

import (
	"github.com/originproof/originproof/fixtures"
)

// PKISource says where a run's client identities come from: a `pki init`
// directory, or else a PKI generated for the run (under the user's own test
// CA when CACert and CAKey are given).
type PKISource struct {
	Dir            string
	CACert, CAKey  string
	ServerName     string // the server certificate's name, for a generated PKI
	CloudFrontName string // the good certificate's DNS SAN, for a generated PKI ("" for the default)
	// WriteTo is where a generated PKI is written (so the origin can be
	// configured from it and the run can be repeated).
	WriteTo string
}

// LoadPKI loads or generates the PKI and returns it with the directory its
// files are in.
func LoadPKI(src PKISource) (*fixtures.PKI, string, error) {
	if src.Dir != "" {
		pki, err := fixtures.LoadDir(src.Dir)
		if err != nil {
			return nil, "", &InputError{Field: FieldPKI, Err: err}
		}
		return pki, src.Dir, nil
	}
	opts := fixtures.Options{ServerName: src.ServerName, CloudFrontIdentity: src.CloudFrontName}
	if src.CACert != "" || src.CAKey != "" {
		ca, err := fixtures.LoadUserCA(src.CACert, src.CAKey)
		if err != nil {
			return nil, "", &InputError{Field: FieldCA, Err: err}
		}
		opts.UserCA = ca
	}
	pki, err := fixtures.Generate(opts)
	if err != nil {
		return nil, "", &InputError{Field: FieldCA, Err: err}
	}
	if src.WriteTo == "" {
		return pki, "", nil
	}
	if err := pki.WriteDir(src.WriteTo, true); err != nil {
		return nil, "", &InputError{Field: FieldOut, Err: err}
	}
	return pki, src.WriteTo, nil
}
