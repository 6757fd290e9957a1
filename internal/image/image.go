// Package image builds originproof's container image without a daemon or a
// registry: one layer holding the static binary, the build machine's CA
// certificates and a non-root user, on an empty base, written as a tarball
// `docker load` reads (go-containerregistry).
package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Paths and identity inside the image.
const (
	// BinaryPath is the entrypoint.
	BinaryPath = "/usr/local/bin/originproof"
	// CACertsPath is where Go's crypto/x509 looks for roots on Linux.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	// UID and GID of the user the image runs as (distroless's nonroot).
	UID = 65532
	GID = 65532
	// Home of that user.
	Home = "/home/nonroot"
)

// DefaultCACerts is the build machine's CA bundle (Debian's location).
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// Options configures Build.
type Options struct {
	// Binary is a statically linked Linux originproof binary
	// (CGO_ENABLED=0): the image has no libc.
	Binary string
	// CACerts is the PEM bundle copied to CACertsPath.
	CACerts string
	// Version labels the image (org.opencontainers.image.version).
	Version string
	// Created stamps the image and every file in it; the zero time is the
	// Unix epoch, so the same inputs give the same image digest.
	Created time.Time
}

// archOf maps an ELF machine to its GOARCH / OCI architecture.
var archOf = map[elf.Machine]string{
	elf.EM_X86_64:  "amd64",
	elf.EM_AARCH64: "arm64",
	elf.EM_386:     "386",
	elf.EM_ARM:     "arm",
	elf.EM_PPC64:   "ppc64le",
	elf.EM_S390:    "s390x",
	elf.EM_RISCV:   "riscv64",
}

// staticArch checks that path is a statically linked Linux executable and
// returns its architecture.
func staticArch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("--binary %s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("--binary %s: dynamically linked (it names an ELF interpreter); build it with CGO_ENABLED=0", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return "", fmt.Errorf("--binary %s: needs shared libraries %v; build it with CGO_ENABLED=0", path, libs)
	}
	arch, ok := archOf[f.Machine]
	if !ok {
		return "", fmt.Errorf("--binary %s: unsupported machine %v", path, f.Machine)
	}
	return arch, nil
}

// Build assembles the image.
func Build(opts Options) (v1.Image, error) {
	arch, err := staticArch(opts.Binary)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("--binary: %w", err)
	}
	if opts.CACerts == "" {
		opts.CACerts = DefaultCACerts
	}
	certs, err := os.ReadFile(opts.CACerts)
	if err != nil {
		return nil, fmt.Errorf("--ca-certs: %w (install the ca-certificates package or name a PEM bundle)", err)
	}
	if !bytes.Contains(certs, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("--ca-certs %s: no PEM certificate in it", opts.CACerts)
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	created = created.UTC()
	layerTar, err := rootFS(bin, certs, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "originproof make image", Comment: "static originproof binary, CA certificates, user nonroot",
	}})
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: created}
	cf.Config.Entrypoint = []string{BinaryPath}
	cf.Config.User = fmt.Sprintf("%d:%d", UID, GID)
	cf.Config.WorkingDir = Home
	cf.Config.Env = []string{"PATH=/usr/local/bin", "HOME=" + Home}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       "originproof",
		"org.opencontainers.image.description": "Certify an origin server for CloudFront origin mTLS",
		"org.opencontainers.image.version":     opts.Version,
	}
	return mutate.ConfigFile(img, cf)
}

// rootFS is the image's one layer: directories, the nonroot user, the CA
// bundle and the binary, owned by root (the binary cannot be rewritten by
// the user it runs as), every time stamp the build's.
func rootFS(bin, certs []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(p string, mode int64, uid, gid int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode, Uid: uid, Gid: gid, ModTime: mtime, Format: tar.FormatPAX})
	}
	file := func(p string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", UID, GID, Home)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", GID)
	err := errors.Join(
		dir("etc", 0o755, 0, 0),
		file("etc/passwd", 0o644, []byte(passwd)),
		file("etc/group", 0o644, []byte(group)),
		dir("etc/ssl", 0o755, 0, 0),
		dir("etc/ssl/certs", 0o755, 0, 0),
		file(CACertsPath[1:], 0o644, certs),
		dir("home", 0o755, 0, 0),
		dir(Home[1:], 0o700, UID, GID),
		// Sticky and world-writable, as /tmp is (Kubernetes mounts an emptyDir there).
		dir("tmp", 0o1777, 0, 0),
		dir("usr", 0o755, 0, 0),
		dir("usr/local", 0o755, 0, 0),
		dir("usr/local/bin", 0o755, 0, 0),
		file(BinaryPath[1:], 0o755, bin),
		tw.Close(),
	)
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	return buf.Bytes(), nil
}

// Write saves img as a `docker load` tarball tagged tag (e.g.
// originproof:v1.2.0).
func Write(path, tag string, img v1.Image) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("--tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(path, t, img); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}
