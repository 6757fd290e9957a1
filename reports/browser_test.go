package reports

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// needChromium returns the path of Debian's chromium, skipping the test
// when it is missing (failing when ORIGINPROOF_REQUIRE_TOOLS is set).
func needChromium(t *testing.T) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ORIGINPROOF_REQUIRE_TOOLS") != "" {
			t.Fatal("chromium is required (ORIGINPROOF_REQUIRE_TOOLS is set) but not installed: apt-get install chromium")
		}
		t.Skip("chromium not installed (Debian package chromium)")
	}
	return browser
}

// tab is a page open in headless Chromium and what the page did: its
// console messages, uncaught exceptions and requests for anything but a
// file: URL.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	console    []consoleMessage
	exceptions []string
	requests   []string
}

// consoleMessage is one console call: its type (log, warning, error,
// assert, …) and its arguments joined by spaces.
type consoleMessage struct {
	typ, text string
}

// openTab opens the file at path in browser, headless in a 1280×900 window,
// listening to the page from before it loads. Chromium is closed when the
// test ends, and after a minute whatever happens.
func openTab(t *testing.T, browser, path string) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	if err := chromedp.Listen(ctx, tb.record); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	return tb
}

func (tb *tab) record(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, string(a.Value))
		}
		tb.console = append(tb.console, consoleMessage{typ: string(e.Type), text: strings.Join(parts, " ")})
	case *runtime.EventExceptionThrown:
		tb.exceptions = append(tb.exceptions, (&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error())
	case *network.EventRequestWillBeSent:
		if !strings.HasPrefix(e.Request.URL, "file:") {
			tb.requests = append(tb.requests, e.Request.URL)
		}
	}
}

// seen returns what the page did until now.
func (tb *tab) seen() (console []consoleMessage, exceptions, requests []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]consoleMessage(nil), tb.console...), append([]string(nil), tb.exceptions...), append([]string(nil), tb.requests...)
}

// run runs a in the tab and returns its result; the test fails on an error.
func run[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	if err != nil {
		tb.t.Fatal(err)
	}
	return v
}

// eval evaluates js in the page; the test fails on an error.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	return run(tb, chromedp.Evaluate[T](js))
}

// saveArtifact writes a screenshot (or any file) under the test's artifact
// directory and logs where.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestTabSeesWhatThePageDoes: a page that logs an error and a warning,
// throws, and asks for an image off the page is seen doing each; the
// browser tests' checks rest on it.
func TestTabSeesWhatThePageDoes(t *testing.T) {
	browser := needChromium(t)
	path := filepath.Join(t.TempDir(), "page.html")
	html := `<!doctype html><img src="http://127.0.0.1:9/pixel.png"><script>
console.error("broken", 1); console.warn("careful"); console.log("fine");
setTimeout(() => { throw new Error("thrown") }, 0);
</script>`
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, browser, path)
	var console []consoleMessage
	var exceptions, requests []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if console, exceptions, requests = tb.seen(); len(console) >= 3 && len(exceptions) >= 1 && len(requests) >= 1 {
			break
		}
	}
	want := []consoleMessage{{"error", `"broken" 1`}, {"warning", `"careful"`}, {"log", `"fine"`}}
	if !slices.Equal(console, want) {
		t.Errorf("console %q, want %q", console, want)
	}
	if len(exceptions) != 1 || !strings.Contains(exceptions[0], "thrown") {
		t.Errorf("exceptions %q, want the one thrown", exceptions)
	}
	if !slices.Equal(requests, []string{"http://127.0.0.1:9/pixel.png"}) {
		t.Errorf("requests %q, want the image's", requests)
	}
	if got := eval[string](tb, `document.readyState`); got != "complete" {
		t.Errorf("readyState %q", got)
	}
}
