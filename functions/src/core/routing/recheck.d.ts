/** recheck's pure-JavaScript build (`lib/browser.js`): the package's API, checked in-process. */
declare module 'recheck/lib/browser.js' {
  const recheck: typeof import('recheck');
  export default recheck;
}
