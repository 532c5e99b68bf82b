package flow

import (
	"strconv"
	"testing"
)

func TestActivityLogKeepsTheLatestNewestFirst(t *testing.T) {
	var l activityLog
	if got := l.recent(10); len(got) != 0 {
		t.Fatalf("empty log lists %d", len(got))
	}
	for i := range activityKept + 5 {
		l.add(Activity{Key: strconv.Itoa(i)})
	}
	got := l.recent(activityKept + 50)
	if len(got) != activityKept {
		t.Fatalf("lists %d, want the %d kept", len(got), activityKept)
	}
	for i, a := range got {
		if want := strconv.Itoa(activityKept + 4 - i); a.Key != want {
			t.Fatalf("entry %d is %s, want %s", i, a.Key, want)
		}
		if a.Time.IsZero() {
			t.Fatalf("entry %d has no time", i)
		}
	}
	if got := l.recent(3); len(got) != 3 || got[0].Key != strconv.Itoa(activityKept+4) {
		t.Fatalf("recent(3) = %v", got)
	}
}
