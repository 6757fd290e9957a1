package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const testVersion = "v9.8.7-image-test"

var static struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildStatic builds originproof once per test binary, as `make image`
// does: static, trimmed paths, the version stamped in.
func buildStatic(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the image's binary is a Linux executable; running it needs Linux")
	}
	if _, err := os.Stat(DefaultCACerts); err != nil {
		t.Fatalf("%s: %v (apt-get install ca-certificates)", DefaultCACerts, err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	static.once.Do(func() {
		if static.dir, static.err = os.MkdirTemp("", "image-test-"); static.err != nil {
			return
		}
		static.bin = filepath.Join(static.dir, "originproof")
		cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags", "-X main.version="+testVersion, "-o", static.bin, "github.com/originproof/originproof/cmd/originproof")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			static.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if static.err != nil {
		t.Fatal(static.err)
	}
	return static.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if static.dir != "" {
		os.RemoveAll(static.dir)
	}
	os.Exit(code)
}

func TestImageTarball(t *testing.T) {
	bin := buildStatic(t)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	img, err := Build(Options{Binary: bin, Version: testVersion, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "originproof-image.tar")
	if err := Write(tarPath, "originproof:"+testVersion, img); err != nil {
		t.Fatal(err)
	}

	// docker load reads manifest.json's RepoTags.
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(tarPath) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{"originproof:" + testVersion}) {
		t.Fatalf("manifest.json %+v: want one image tagged originproof:%s", m, testVersion)
	}
	tag, err := name.NewTag("originproof:" + testVersion)
	if err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(tarPath, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{BinaryPath}) || cf.Config.User != "65532:65532" {
		t.Errorf("entrypoint %q, user %q: want [%s] and 65532:65532", cf.Config.Entrypoint, cf.Config.User, BinaryPath)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !cf.Created.Time.Equal(created) {
		t.Errorf("platform %s/%s created %v, want linux/%s %v", cf.OS, cf.Architecture, cf.Created.Time, runtime.GOARCH, created)
	}
	if cf.Config.Labels["org.opencontainers.image.version"] != testVersion {
		t.Errorf("labels %v", cf.Config.Labels)
	}
	layers, err := back.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers (%v): want one on an empty base", len(layers), err)
	}

	// The filesystem: the binary (root's, executable), the build
	// machine's CA bundle, the nonroot user, a sticky /tmp.
	files := map[string]*tar.Header{}
	var binary, certs, passwd []byte
	tr := tar.NewReader(mutate.Extract(back))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := "/" + strings.TrimSuffix(h.Name, "/")
		files[p] = h
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch p {
		case BinaryPath:
			binary = data
		case CACertsPath:
			certs = data
		case "/etc/passwd":
			passwd = data
		}
	}
	if h := files[BinaryPath]; h == nil || h.Mode != 0o755 || h.Uid != 0 {
		t.Fatalf("%s: %+v, want mode 0755 owned by root", BinaryPath, h)
	}
	if h := files["/tmp"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp: %+v, want mode 1777", h)
	}
	want, _ := os.ReadFile(DefaultCACerts)
	if !bytes.Equal(certs, want) {
		t.Errorf("%s in the image is not the build machine's %s", CACertsPath, DefaultCACerts)
	}
	if !bytes.Contains(passwd, []byte("nonroot:x:65532:65532:")) {
		t.Errorf("/etc/passwd:\n%s", passwd)
	}

	// The extracted binary is static and runs.
	out := filepath.Join(t.TempDir(), "originproof")
	if err := os.WriteFile(out, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := staticArch(out); err != nil {
		t.Error(err)
	}
	got, err := exec.Command(out, "version").CombinedOutput()
	if err != nil || string(got) != "originproof "+testVersion+"\n" {
		t.Errorf("%s version: %q (%v), want %q", BinaryPath, got, err, "originproof "+testVersion+"\n")
	}

	// The same inputs give the same image.
	again, err := Build(Options{Binary: bin, Version: testVersion, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds of the same inputs: %s and %s", d1, d2)
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	bin := buildStatic(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	noPEM := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(noPEM, []byte("# no certificates\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"not ELF", Options{Binary: text}, "not a Linux executable"},
		{"missing binary", Options{Binary: filepath.Join(dir, "nope")}, "--binary"},
		// Debian's coreutils are dynamically linked against libc.
		{"dynamic", Options{Binary: "/bin/true"}, "build it with CGO_ENABLED=0"},
		{"missing CA bundle", Options{Binary: bin, CACerts: filepath.Join(dir, "nope.pem")}, "--ca-certs"},
		{"CA bundle without certificates", Options{Binary: bin, CACerts: noPEM}, "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one saying %q", err, tc.want)
			}
		})
	}
	img, err := Build(Options{Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "x.tar"), "Bad Tag!", img); err == nil || !strings.Contains(err.Error(), "--tag") {
		t.Errorf("bad tag: %v", err)
	}
}
