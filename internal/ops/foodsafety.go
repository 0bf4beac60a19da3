package ops

import (
	"context"
	"fmt"

	"github.com/fpr-team/fpr"
)

// Reviews is the ReviewService the HTTP server uses: the store's, plus an
// alert through the webhook, at once, when a review is reported as a food
// safety risk. The alert's key is the flag's ID, so it is sent once
// whatever the number of instances.
//
// The alert is raised after the flag commits; a crash between the two
// loses the webhook message, never the report, which stays at the top of
// the moderation queue.
type Reviews struct {
	fpr.ReviewService
	Alerts *Alerter
}

// FlagReview records the flag and, for fpr.FlagFoodSafety, raises the
// food-safety alert.
func (rs Reviews) FlagReview(ctx context.Context, f *fpr.Flag) error {
	if err := rs.ReviewService.FlagReview(ctx, f); err != nil {
		return err
	}
	if f.Reason != fpr.FlagFoodSafety || rs.Alerts == nil {
		return nil
	}
	al := &fpr.Alert{
		Key:     "food_safety:" + f.ID,
		Kind:    fpr.AlertFoodSafety,
		Route:   "/reviews/" + f.ReviewID,
		Message: fmt.Sprintf("Food-safety report on review %s: %s", f.ReviewID, truncate(f.Note, 500)),
	}
	// The report is stored; a failure to alert is logged, not the
	// reporter's error.
	if err := rs.Alerts.Raise(systemContext(context.WithoutCancel(ctx)), al); err != nil {
		rs.Alerts.Log.ErrorContext(ctx, "raise food-safety alert", "err", err, "review_id", f.ReviewID)
	}
	return nil
}
