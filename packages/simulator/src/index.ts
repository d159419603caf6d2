/** @jiema/simulator — under construction (issue 3). */
export {};
