// Bun's HTML imports: `import page from "./index.html"` gives a bundle for Bun.serve routes.
declare module "*.html" {
  const page: import("bun").HTMLBundle;
  export default page;
}
