import 'a-package-that-is-not-installed';

export function createAdmin() {
  throw new Error('not reached');
}
