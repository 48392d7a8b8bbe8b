package journalobs

import (
	"strconv"
	"time"
)

// Duration says d in the units an admin reads at a glance: "850 µs",
// "4.7 ms", "12 s", "3 min", "3 min 20 s", "2 h 5 min", "3 days 4 h".
// Below a minute it keeps two significant digits; above, two units at most.
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second:
		return decimal(d, time.Millisecond) + " ms"
	case d < time.Minute:
		return decimal(d, time.Second) + " s"
	case d < time.Hour:
		return two(d, time.Minute, "min", time.Second, "s")
	case d < 24*time.Hour:
		return two(d, time.Hour, "h", time.Minute, "min")
	}
	days := d / (24 * time.Hour)
	unit := " days"
	if days == 1 {
		unit = " day"
	}
	s := strconv.FormatInt(int64(days), 10) + unit
	if h := (d % (24 * time.Hour)) / time.Hour; h > 0 {
		s += " " + strconv.FormatInt(int64(h), 10) + " h"
	}
	return s
}

// decimal is d in units, with one decimal below 10 ("4.7") and none above
// ("47"), rounded to nearest.
func decimal(d, unit time.Duration) string {
	if d < 10*unit {
		tenths := (d*10 + unit/2) / unit
		if tenths%10 == 0 {
			return strconv.FormatInt(int64(tenths/10), 10)
		}
		return strconv.FormatInt(int64(tenths/10), 10) + "." + strconv.FormatInt(int64(tenths%10), 10)
	}
	return strconv.FormatInt(int64((d+unit/2)/unit), 10)
}

// two is d as "N big" or "N big M small", truncated to whole small units.
func two(d, big time.Duration, bigName string, small time.Duration, smallName string) string {
	s := strconv.FormatInt(int64(d/big), 10) + " " + bigName
	if r := (d % big) / small; r > 0 {
		s += " " + strconv.FormatInt(int64(r), 10) + " " + smallName
	}
	return s
}
