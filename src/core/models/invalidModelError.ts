// The error every model check throws: names the model and what is wrong with it.
export class InvalidModelError extends Error {
  constructor(path: string, problem: string) {
    super(`${path} is not a usable model: ${problem}`);
    this.name = "InvalidModelError";
  }
}
