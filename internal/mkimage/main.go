// Command mkimage writes originproof's container image as a tarball `docker
// load` reads, from a static binary, with no daemon, registry or network
// (`make image` runs it).
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/originproof/originproof/internal/image"
)

func main() {
	var opts image.Options
	var tag, out string
	flag.StringVar(&opts.Binary, "binary", "", "static Linux originproof binary (CGO_ENABLED=0)")
	flag.StringVar(&opts.CACerts, "ca-certs", image.DefaultCACerts, "PEM bundle of CA certificates to put at "+image.CACertsPath)
	flag.StringVar(&opts.Version, "version", "dev", "version label")
	flag.StringVar(&tag, "tag", "originproof:dev", "image name and tag docker load gives it")
	flag.StringVar(&out, "out", "", "tarball to write")
	flag.Parse()
	if opts.Binary == "" || out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "mkimage: usage: mkimage --binary FILE --out FILE [--tag NAME:TAG] [--version V] [--ca-certs FILE]")
		os.Exit(2)
	}
	// SOURCE_DATE_EPOCH (reproducible-builds.org) stamps the image; unset, the Unix epoch.
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mkimage: SOURCE_DATE_EPOCH %q: not a number of seconds\n", s)
			os.Exit(2)
		}
		opts.Created = time.Unix(sec, 0)
	}
	img, err := image.Build(opts)
	if err == nil {
		err = image.Write(out, tag, img)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
		os.Exit(2)
	}
	d, _ := img.Digest()
	fmt.Printf("wrote %s (%s, %s)\n", out, tag, d)
}
