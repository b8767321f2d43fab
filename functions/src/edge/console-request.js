// Runway console, CloudFront Function (cloudfront-js-2.0, viewer-request) on the console
// distribution. Deployed as is. Astro builds every page as <dir>/index.html, but CloudFront's
// default root object applies to "/" only, and S3 behind OAC answers 403 for a key that does not
// exist (such as "project/"). So directory paths get their index.html, as in AWS's own example:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/example-function-add-index.html
function handler(event) {
  const request = event.request;
  const uri = request.uri;
  if (uri.slice(-1) === '/') request.uri = uri + 'index.html';
  // No extension in the last segment: "/project" is the page "/project/index.html".
  else if (uri.slice(uri.lastIndexOf('/')).indexOf('.') < 0) request.uri = uri + '/index.html';
  return request;
}
