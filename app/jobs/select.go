package jobs

// Select returns the job's summary and the first max lines that keep
// accepts, with how many more it accepts: what a page shows of a job of
// 100,000 lines without copying them all on every poll.
func (j *Job) Select(keep func(Line) bool, max int) (sum Summary, lines []Line, more int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, l := range j.lines {
		if !keep(l) {
			continue
		}
		if len(lines) < max {
			lines = append(lines, l)
		} else {
			more++
		}
	}
	return j.sum, lines, more
}
