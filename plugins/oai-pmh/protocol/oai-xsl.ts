/** Renders OAI-PMH responses as readable pages in a browser (referenced by every response). */
export const OAI_XSL = `<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:oai="http://www.openarchives.org/OAI/2.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="oai dc">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>
  <xsl:variable name="base" select="/oai:OAI-PMH/oai:request"/>
  <xsl:template match="/">
    <html><head><title>OAI-PMH <xsl:value-of select="/oai:OAI-PMH/oai:request/@verb"/></title>
      <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem}
      nav a{margin-right:1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
      .rec{border:1px solid #ddd;margin:.8rem 0;padding:.5rem}.deleted{color:#a00}.err{color:#a00;font-weight:600}</style></head>
    <body>
      <nav>
        <a href="{$base}?verb=Identify">Identify</a>
        <a href="{$base}?verb=ListMetadataFormats">ListMetadataFormats</a>
        <a href="{$base}?verb=ListSets">ListSets</a>
        <a href="{$base}?verb=ListIdentifiers&amp;metadataPrefix=oai_dc">ListIdentifiers</a>
        <a href="{$base}?verb=ListRecords&amp;metadataPrefix=oai_dc">ListRecords</a>
      </nav>
      <p>Response of <xsl:value-of select="/oai:OAI-PMH/oai:responseDate"/> to
        <code><xsl:for-each select="/oai:OAI-PMH/oai:request/@*"><xsl:value-of select="name()"/>=<xsl:value-of select="."/><xsl:text> </xsl:text></xsl:for-each></code></p>
      <xsl:apply-templates select="/oai:OAI-PMH/*[not(self::oai:responseDate or self::oai:request)]"/>
    </body></html>
  </xsl:template>
  <xsl:template match="oai:error"><p class="err">Error <xsl:value-of select="@code"/>: <xsl:value-of select="."/></p></xsl:template>
  <xsl:template match="oai:Identify">
    <h1>Identify</h1>
    <table><xsl:for-each select="*[not(self::oai:description)]"><tr><th><xsl:value-of select="local-name()"/></th><td><xsl:value-of select="."/></td></tr></xsl:for-each></table>
  </xsl:template>
  <xsl:template match="oai:ListMetadataFormats">
    <h1>Metadata formats</h1>
    <table><tr><th>prefix</th><th>namespace</th><th>schema</th></tr>
    <xsl:for-each select="oai:metadataFormat"><tr>
      <td><a href="{$base}?verb=ListRecords&amp;metadataPrefix={oai:metadataPrefix}"><xsl:value-of select="oai:metadataPrefix"/></a></td>
      <td><xsl:value-of select="oai:metadataNamespace"/></td><td><xsl:value-of select="oai:schema"/></td></tr></xsl:for-each></table>
  </xsl:template>
  <xsl:template match="oai:ListSets">
    <h1>Sets</h1>
    <table><tr><th>setSpec</th><th>name</th></tr>
    <xsl:for-each select="oai:set"><tr>
      <td><a href="{$base}?verb=ListRecords&amp;metadataPrefix=oai_dc&amp;set={oai:setSpec}"><xsl:value-of select="oai:setSpec"/></a></td>
      <td><xsl:value-of select="oai:setName"/></td></tr></xsl:for-each></table>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>
  <xsl:template match="oai:ListIdentifiers|oai:ListRecords|oai:GetRecord">
    <h1><xsl:value-of select="local-name()"/></h1>
    <xsl:for-each select="oai:header|oai:record"><xsl:apply-templates select="."/></xsl:for-each>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>
  <xsl:template match="oai:header">
    <div class="rec"><xsl:if test="@status='deleted'"><xsl:attribute name="class">rec deleted</xsl:attribute>deleted · </xsl:if>
      <a href="{$base}?verb=GetRecord&amp;metadataPrefix=oai_dc&amp;identifier={oai:identifier}"><xsl:value-of select="oai:identifier"/></a>
      · <xsl:value-of select="oai:datestamp"/>
      <xsl:for-each select="oai:setSpec"> · <xsl:value-of select="."/></xsl:for-each></div>
  </xsl:template>
  <xsl:template match="oai:record">
    <div class="rec"><xsl:apply-templates select="oai:header"/>
      <xsl:if test="oai:metadata"><table><xsl:for-each select="oai:metadata//*[not(*)]"><tr><th><xsl:value-of select="local-name()"/><xsl:if test="@tag"> <xsl:value-of select="@tag"/></xsl:if><xsl:if test="@code"> $<xsl:value-of select="@code"/></xsl:if></th><td><xsl:value-of select="."/></td></tr></xsl:for-each></table></xsl:if></div>
  </xsl:template>
  <xsl:template match="oai:resumptionToken">
    <p><xsl:value-of select="@cursor"/> of <xsl:value-of select="@completeListSize"/> before this page.
      <xsl:if test="normalize-space(.)"> <a href="{$base}?verb={/oai:OAI-PMH/oai:request/@verb}&amp;resumptionToken={.}">Next page</a></xsl:if></p>
  </xsl:template>
</xsl:stylesheet>
`;
