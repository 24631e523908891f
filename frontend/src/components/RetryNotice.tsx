import { useEffect, useState } from "react";

interface RetryNoticeProps {
  /** What went wrong, for a visitor. */
  message: string;
  /** When the page asks again by itself (epoch ms); null: it will not, the visitor must. */
  retryAt: number | null;
  onRetry: () => void;
}

function secondsLeft(retryAt: number): number {
  return Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
}

/**
 * An error with what happens next: "Trying again in 4 s" counting down to the
 * retry the page really makes (the same `retryAt`), or a "Try again" button
 * when a retry by itself cannot help. Only the message is an alert; the
 * countdown is not live, so it is not read out every second.
 */
export function RetryNotice({ message, retryAt, onRetry }: RetryNoticeProps) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (retryAt === null) return;
    const timer = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(timer);
  }, [retryAt]);
  const left = retryAt === null ? null : secondsLeft(retryAt);
  return (
    <div className="status status-error" data-testid="error">
      <span role="alert">{message}</span>
      {left !== null ? (
        <span className="countdown" data-testid="countdown">
          {left > 0 ? `Trying again in ${left} s.` : "Trying again…"}
        </span>
      ) : null}
      <button type="button" onClick={onRetry}>
        {left !== null ? "Try again now" : "Try again"}
      </button>
    </div>
  );
}
