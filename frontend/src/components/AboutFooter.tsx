/** "About these recommendations": what the lists come from, for the curious; the model version lives here only. */
export function AboutFooter({ modelVersion }: { modelVersion: string }) {
  return (
    <footer className="about">
      <details>
        <summary>About these recommendations</summary>
        <p>
          Screen Genius learned how people rate movies from many people&apos;s ratings. Your ratings go to the model as
          they are; it predicts how many stars you would give every other movie and lists the ten highest and the ten
          lowest. The reasons name the ratings of yours that moved each movie most. Your ratings stay in this browser.
        </p>
        <p className="hint">Model version {modelVersion}.</p>
      </details>
    </footer>
  );
}
