import { useMediaQuery } from "./useMediaQuery";

/** True on touch screens (the primary pointer is a finger), where targets must be 44 px. */
export function useCoarsePointer(): boolean {
  return useMediaQuery("(pointer: coarse)");
}
