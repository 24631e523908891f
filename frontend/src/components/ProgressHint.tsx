import { GOOD_AT, progressHint } from "../progress";

/** How many ratings make the lists good, and how far the person is (a meter to GOOD_AT ratings). */
export function ProgressHint({ rated }: { rated: number }) {
  const hint = progressHint(rated);
  return (
    <div className="progress" data-testid="progress">
      <meter min={0} max={GOOD_AT} value={Math.min(rated, GOOD_AT)} aria-label={`Ratings so far: ${rated} of ${GOOD_AT} for good picks`} />
      <span className="progress-text">
        <strong>
          {Math.min(rated, GOOD_AT)} of {GOOD_AT}
        </strong>{" "}
        {hint}
      </span>
    </div>
  );
}
