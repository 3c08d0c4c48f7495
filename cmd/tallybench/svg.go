package main

import (
	"fmt"
	"math"
	"strings"
)

var systemColor = map[string]string{
	"tally":    "#d62728",
	"native":   "#1f77b4",
	"floor":    "#7f7f7f",
	"pg-sync":  "#2ca02c",
	"pg-async": "#9467bd",
}

// svg draws increments/s against clients (log scale), one panel for
// uniform keys and one for the hot key, one line per system.
func (r *results) svg() string {
	const (
		panelW, panelH = 460.0, 320.0
		left, top      = 70.0, 50.0
		gap            = 60.0
		legendH        = 30.0 * 3
	)
	width := left + 2*panelW + gap + 20
	height := top + panelH + 50 + legendH
	yMax := 0.0
	for _, c := range r.Cells {
		yMax = math.Max(yMax, c.PerSec())
	}
	yMax = niceCeil(yMax * 1.05)
	xs := r.Cfg.Clients
	lo, hi := math.Log(float64(xs[0])), math.Log(float64(xs[len(xs)-1]))
	xPos := func(x0 float64, n int) float64 {
		if hi == lo {
			return x0 + panelW/2
		}
		return x0 + 20 + (math.Log(float64(n))-lo)/(hi-lo)*(panelW-40)
	}
	yPos := func(v float64) float64 { return top + panelH - v/yMax*panelH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15" font-weight="bold">Increments/s against clients — %s</text>`+"\n",
		left, r.Started.Format("2006-01-02 15:04 UTC"))
	for p, keys := range []string{"uniform", "hot"} {
		x0 := left + float64(p)*(panelW+gap)
		title := fmt.Sprintf("uniform over %d rows", r.Cfg.Rows)
		if keys == "hot" {
			title = "one hot row"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-weight="bold">%s</text>`+"\n", x0, top-10, title)
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", x0, top, panelW, panelH)
		for i := 0; i <= 5; i++ {
			v := yMax * float64(i) / 5
			y := yPos(v)
			fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y, x0+panelW, y)
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-5, y+4, human(v))
		}
		for _, n := range xs {
			x := xPos(x0, n)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%d</text>`+"\n", x, top+panelH+16, n)
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">clients</text>`+"\n", x0+panelW/2, top+panelH+34)
		for _, sys := range systemOrder {
			var pts []string
			for _, n := range xs {
				if c, ok := r.cell(sys, n, keys); ok {
					x, y := xPos(x0, n), yPos(c.PerSec())
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %d clients: %.0f/s</title></circle>`+"\n",
						x, y, systemColor[sys], sys, n, c.PerSec())
				}
			}
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), systemColor[sys])
			}
		}
	}
	fmt.Fprintf(&b, `<text x="14" y="%.0f" transform="rotate(-90 14 %.0f)" text-anchor="middle">increments/s</text>`+"\n", top+panelH/2, top+panelH/2)
	ly := top + panelH + 60
	i := 0
	for _, sys := range systemOrder {
		if _, ok := r.cell(sys, xs[0], "uniform"); !ok {
			if _, ok := r.cell(sys, xs[len(xs)-1], "uniform"); !ok {
				continue
			}
		}
		x := left + float64(i%2)*(panelW+gap)
		y := ly + float64(i/2)*22
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="3"/>`+"\n", x, y, x+24, y, systemColor[sys])
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", x+30, y+4, xmlEscape(systemName[sys]))
		i++
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
