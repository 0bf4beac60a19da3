package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/fpr-team/fpr"
)

// Reviews is the ReviewService the HTTP server uses: the store's, plus an
// alert through the webhook, at once, when a review is reported as a food
// safety risk. The alert's key is the flag's (fpr.FoodSafetyAlertKey), so
// it is sent once whatever the number of instances.
//
// The alert is raised after the flag commits. A crash between the two
// does not lose it: every instance's alerter sweeps for open reports
// without an alert (SweepFoodSafety, each EvalInterval) and raises them;
// the key makes the handler and the sweeps send it once. The producer's
// and admins' mail does not depend on either: it is written to the outbox
// in the flag's own transaction.
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
	// The report is stored; a failure to alert is logged, not the
	// reporter's error, and the sweep tries again.
	if err := rs.Alerts.RaiseFoodSafety(context.WithoutCancel(ctx), f); err != nil {
		rs.Alerts.Log.ErrorContext(ctx, "raise food-safety alert", "err", err, "review_id", f.ReviewID)
	}
	return nil
}

// RaiseFoodSafety raises the alert of food-safety report f (once per
// report, by its key).
func (a *Alerter) RaiseFoodSafety(ctx context.Context, f *fpr.Flag) error {
	a.setup()
	return a.Raise(systemContext(ctx), &fpr.Alert{
		Key:     fpr.FoodSafetyAlertKey(f.ID),
		Kind:    fpr.AlertFoodSafety,
		Route:   "/reviews/" + f.ReviewID,
		Message: fmt.Sprintf("Food-safety report on review %s: %s", f.ReviewID, truncate(f.Note, 500)),
	})
}

// sweepBatch bounds the reports one sweep raises.
const sweepBatch = 100

// SweepFoodSafety raises the alert of every open food-safety report that
// has none: reports stored by an instance that stopped before raising
// their alert.
func (a *Alerter) SweepFoodSafety(ctx context.Context) error {
	a.setup()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	flags, err := a.Ops.FindUnalertedFoodSafetyReports(ctx, sweepBatch)
	if err != nil {
		return fmt.Errorf("sweep food-safety reports: %w", err)
	}
	for _, f := range flags {
		a.Log.Warn("food-safety report without an alert: raising it", "review_id", f.ReviewID, "flag_id", f.ID)
		if err := a.RaiseFoodSafety(ctx, f); err != nil {
			return fmt.Errorf("sweep food-safety reports: %w", err)
		}
	}
	return nil
}
