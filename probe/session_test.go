package probe

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/origin"
)

// A saved session, read back, resumes: for another server name than the
// one it was made with, and in TLS 1.2 and 1.3.
func TestSessionCacheSavesAndOffersToAnyName(t *testing.T) {
	ctx := context.Background()
	target := start(t, origin.Strict)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			cache := &SessionCache{}
			if cache.Has() {
				t.Fatal("a new cache has a session")
			}
			sibling := target
			sibling.ServerName = "sibling.test"
			if r := Do(ctx, sibling, Options{Cert: cert(t, "chain.valid"), MaxVersion: v, SessionCache: cache}); r.Kind != Response || !cache.Has() {
				t.Fatalf("first probe: %s, session kept: %v", r.Describe(), cache.Has())
			}
			saved, err := cache.Save(sibling, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(saved)
			if err != nil {
				t.Fatal(err)
			}
			var back SavedSession
			if err := json.Unmarshal(raw, &back); err != nil || back.ServerName != "sibling.test" || back.Addr != target.Addr {
				t.Fatalf("read back %+v: %v", back, err)
			}
			loaded, err := back.Cache()
			if err != nil {
				t.Fatal(err)
			}
			r := Do(ctx, target, Options{Cert: cert(t, "chain.valid"), MaxVersion: v, SessionCache: loaded})
			if r.Kind != Response || r.State == nil || !r.State.DidResume {
				t.Fatalf("offered for origin.test: %s, resumed %v", r.Describe(), r.State != nil && r.State.DidResume)
			}
		})
	}
	if _, err := (&SessionCache{}).Save(target, time.Now()); err == nil {
		t.Error("an empty cache saved a session")
	}
	if _, err := (SavedSession{State: []byte("garbage")}).Cache(); err == nil {
		t.Error("a malformed saved session was read")
	}
}
