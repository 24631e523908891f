import type { ReactNode } from "react";

interface StatusMessageProps {
  kind: "info" | "loading" | "error";
  children: ReactNode;
  /** Optional action, e.g. a retry button. */
  action?: ReactNode;
}

/** A message that says what happened and what to do; errors are announced. */
export function StatusMessage({ kind, children, action }: StatusMessageProps) {
  return (
    <div className={`status status-${kind}`} role={kind === "error" ? "alert" : "status"}>
      <span>{children}</span>
      {action}
    </div>
  );
}
