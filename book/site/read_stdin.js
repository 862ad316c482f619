/* All of standard input as UTF-8 text (a promise): how the build's Node scripts
 * (mathrender.js, csspurge.js) receive their JSON request from Python. */
"use strict";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

module.exports = { readStdin };
